"""``VideoTrainer``: a ``transformers.Trainer`` wired to the video collators, accuracy metrics and throughput logs.

    >>> train_collator, eval_collator = make_collators(settings, clip_len, recipe.sampling, recipe.data, seed=42)
    >>> trainer = VideoTrainer(model=model, args=training_args, train_dataset=ds["train"],
    ...                        eval_dataset=ds["validation"], data_collator=train_collator,
    ...                        eval_collator=eval_collator, compute_metrics=compute_metrics)

Training clips use the recipe's ``train_coverage``/``train_stride`` (with several values, each clip draws one
variant of their product) with a random window anchor and augmentation;
evaluation clips (model selection on the validation split, ``predict``) use ``validation_coverage``/
``validation_stride``, deterministically. Every training log line carries ``clips_per_second`` and
``data_wait_share`` (the share of step time spent waiting for the data loader) since the previous log line.
"""

from __future__ import annotations

import contextlib
import logging
import time

import numpy as np
from transformers import EvalPrediction, PreTrainedModel, Trainer, TrainerCallback

from ..configs import DataArguments, SamplingArguments
from ..data.collator import VideoCollator
from ..data.transforms import ProcessorSettings
from ..errors import RecipeError
from ..metrics import load_video_metric
from .layer_decay import layer_decay_groups


logger = logging.getLogger(__name__)

METRIC_NAMES = ("accuracy", "top5", "mean_class_accuracy")


def make_collators(
    settings: ProcessorSettings,
    clip_len: int,
    sampling: SamplingArguments,
    data: DataArguments,
    seed: int,
    skip_log=None,
) -> tuple[VideoCollator, VideoCollator]:
    """(train collator, evaluation collator) for a recipe."""
    train_variants, eval_variant = sampling.train_variants(), sampling.validation_variant()
    for variant in (*train_variants, eval_variant):
        try:
            variant.check(clip_len)
        except ValueError as err:
            raise RecipeError(f"budgets: {err}") from None
    common = {
        "settings": settings,
        "clip_len": clip_len,
        "seed": seed,
        "skip_log": skip_log,
        "cache_mb": data.decoded_cache_mb,
    }
    train = VideoCollator(
        variant=train_variants,
        train=True,
        random_resized_crop=data.random_resized_crop,
        min_scale=data.crop_min_scale,
        horizontal_flip=data.horizontal_flip,
        clips_per_video=data.clips_per_video,
        **common,
    )
    return train, VideoCollator(variant=eval_variant, train=False, **common)


def make_compute_metrics():
    """``compute_metrics`` for the Trainer: top-1, top-5 and mean class accuracy from the in-package metric."""
    metric = load_video_metric()

    def compute_metrics(prediction: EvalPrediction) -> dict[str, float]:
        logits = prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions
        return metric.compute(predictions=np.asarray(logits), references=np.asarray(prediction.label_ids))

    return compute_metrics


class ThroughputMeter(TrainerCallback):
    """Clips/s and the share of step time spent waiting for batches, per logging window and for the whole run.

    A step runs from the request for its batches (``VideoTrainer.get_batch_samples``) to ``on_step_end`` (after
    the optimizer step), so evaluation, logging and checkpointing between steps are not counted.
    """

    def __init__(self, world_size: int = 1):
        self.world_size = world_size
        self.window = np.zeros(3)  # clips, waiting seconds, step seconds
        self.total = np.zeros(3)
        self._step_start: float | None = None

    def batches_requested(self) -> None:
        self._step_start = time.perf_counter()

    def batches_received(self, clips: int) -> None:
        waited = time.perf_counter() - self._step_start
        self.window[:2] += (clips * self.world_size, waited)

    def on_step_end(self, args, state, control, **kwargs):
        if self._step_start is not None:
            self.window[2] += time.perf_counter() - self._step_start
            self._step_start = None

    @staticmethod
    def _rates(values: np.ndarray) -> dict[str, float]:
        clips, waited, seconds = values
        if seconds <= 0:
            return {}
        return {"clips_per_second": round(clips / seconds, 3), "data_wait_share": round(waited / seconds, 4)}

    def flush_window(self) -> dict[str, float]:
        rates = self._rates(self.window)
        self.total += self.window
        self.window[:] = 0
        return rates

    def summary(self) -> dict[str, float]:
        return self._rates(self.total + self.window)


class VideoTrainer(Trainer):
    """``Trainer`` with a separate evaluation collator, accuracy metrics and throughput logging.

    ``data_collator`` builds training clips; ``eval_collator`` (default: the same) builds the clips of
    ``evaluate``/``predict``. ``remove_unused_columns`` is forced off: the collators read the raw video column.
    """

    def __init__(self, *args, eval_collator=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.args.remove_unused_columns:
            logger.info("remove_unused_columns=False: the video collator reads the raw video column")
            self.args.remove_unused_columns = False
        self.eval_collator = eval_collator or self.data_collator
        self.throughput = ThroughputMeter(self.args.world_size)
        self.add_callback(self.throughput)

    @contextlib.contextmanager
    def _collating_with(self, collator):
        train_collator, self.data_collator = self.data_collator, collator
        try:
            yield
        finally:
            self.data_collator = train_collator

    def create_optimizer(self, model=None):
        """The Trainer's optimizer, with layer-wise learning-rate decay when ``layer_decay`` is set
        (:mod:`inforates.training.layer_decay`)."""
        decay = getattr(self.args, "layer_decay", None)
        if decay is None or self.optimizer is not None:
            return super().create_optimizer() if model is None else super().create_optimizer(model)
        groups = layer_decay_groups(self.model, self.args.learning_rate, self.args.weight_decay, decay)
        optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(self.args, self.model)
        optimizer_kwargs.pop("lr", None)
        self.optimizer = optimizer_cls(groups, **optimizer_kwargs)
        return self.optimizer

    def get_eval_dataloader(self, eval_dataset=None):
        with self._collating_with(self.eval_collator):
            return super().get_eval_dataloader(eval_dataset)

    def get_test_dataloader(self, test_dataset):
        with self._collating_with(self.eval_collator):
            return super().get_test_dataloader(test_dataset)

    def save_model(self, output_dir: str | None = None, _internal_call: bool = False) -> None:
        """Checkpoints (``_internal_call``) keep the model's own parameter names: transformers 5 would write them in
        the original Hub format but reloads them (resuming, ``load_best_model_at_end``) with a plain
        ``load_state_dict``, which silently skips renamed weights such as VideoMAE's q/v biases
        (huggingface/transformers#48805). The final model keeps the original format."""
        model = self.accelerator.unwrap_model(self.model)
        if not _internal_call or not isinstance(model, PreTrainedModel):
            return super().save_model(output_dir, _internal_call)
        missing = object()
        conversions = model.__dict__.get("_weight_conversions", missing)
        model._weight_conversions = []  # nothing to revert: save the names the model uses
        try:
            super().save_model(output_dir, _internal_call)
        finally:
            if conversions is missing:
                del model._weight_conversions
            else:
                model._weight_conversions = conversions

    def get_batch_samples(self, epoch_iterator, num_batches, device):
        self.throughput.batches_requested()
        batches, num_items = super().get_batch_samples(epoch_iterator, num_batches, device)
        self.throughput.batches_received(sum(len(batch["labels"]) for batch in batches))
        return batches, num_items

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:
            logs.update(self.throughput.flush_window())
        super().log(logs, start_time)

    def train(self, *args, **kwargs):
        output = super().train(*args, **kwargs)
        output.metrics.update({f"train_{k}": v for k, v in self.throughput.summary().items()})
        return output
