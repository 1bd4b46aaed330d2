"""``VideoTrainer``: a ``transformers.Trainer`` wired to the video collators, accuracy metrics and throughput logs.

    train_collator, eval_collator = make_collators(settings, clip_len, recipe.sampling, recipe.data, seed=42)
    trainer = VideoTrainer(model=model, args=training_args, train_dataset=ds["train"],
                           eval_dataset=ds["validation"], data_collator=train_collator,
                           eval_collator=eval_collator, compute_metrics=compute_metrics)

Training clips use the recipe's ``train_coverage``/``train_stride`` (with several values, each clip draws one
variant of their product) with a random window anchor and augmentation;
evaluation clips (model selection on the validation split, ``predict``) use ``validation_coverage``/
``validation_stride``, deterministically. Every training log line carries ``clips_per_second`` and
``data_wait_share`` (the share of step time spent waiting for the data loader) since the previous log line.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

import numpy as np
from transformers import EvalPrediction, PreTrainedModel, Trainer, TrainerCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

from ..configs import DataArguments, SamplingArguments
from ..data.collator import VideoCollator
from ..data.processor import ProcessorSettings
from ..errors import RecipeError
from ..files import crash_point
from ..metrics import load_video_metric
from .ema import EmaCallback, WeightEma, check_ema
from .layer_decay import layer_decay_groups
from .mixup import VideoMixup, mix_rng, soft_target_cross_entropy
from .run_dir import last_complete_checkpoint, mark_checkpoint


logger = logging.getLogger(__name__)

METRIC_NAMES = ("accuracy", "top5", "mean_class_accuracy")


def make_collators(
    settings: ProcessorSettings,
    clip_len: int,
    sampling: SamplingArguments,
    data: DataArguments,
    seed: int,
    skip_log=None,
    train_rows=None,
) -> tuple[VideoCollator, VideoCollator]:
    """(train collator, evaluation collator) for a recipe; ``train_rows`` refill training batches in place of
    videos that fail to decode."""
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
        max_scale=data.crop_max_scale,
        min_aspect=data.crop_min_aspect,
        max_aspect=data.crop_max_aspect,
        horizontal_flip=data.horizontal_flip,
        rand_augment=data.rand_augment,
        random_erasing_prob=data.random_erasing_prob,
        clips_per_video=data.clips_per_video,
        refill=train_rows,
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
    """``Trainer`` with a separate evaluation collator, accuracy metrics, throughput logging and the training
    regularisers of ``VideoTrainingArguments``.

    ``data_collator`` builds training clips; ``eval_collator`` (default: the same) builds the clips of
    ``evaluate``/``predict``. ``remove_unused_columns`` is forced off: the collators read the raw video column.

    * ``mixup_alpha``/``cutmix_alpha`` (``args.mixes``): training batches are mixed in ``compute_loss``
      (:mod:`inforates.training.mixup`) and scored with the soft-target cross-entropy, ``label_smoothing_factor``
      folded into the targets; evaluation and ``predict`` see the clips and labels as they are.
    * ``ema_decay``: a :class:`~inforates.training.ema.WeightEma` follows the weights after every optimizer step,
      is saved in each checkpoint (``ema.safetensors``) and restored on resume; ``train()`` returns with the
      average in the model, so what is evaluated and saved afterwards is the average.
    """

    def __init__(self, *args, eval_collator=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.args.remove_unused_columns:
            logger.info("remove_unused_columns=False: the video collator reads the raw video column")
            self.args.remove_unused_columns = False
        self.eval_collator = eval_collator or self.data_collator
        self.throughput = ThroughputMeter(self.args.world_size)
        self.add_callback(self.throughput)
        self.mixup = None
        if getattr(self.args, "mixes", False):
            self.mixup = VideoMixup.from_args(self.args, self._unwrapped().config.num_labels)
        self._mix_step = (-1, 0)  # (global step, micro-batches mixed in it): one draw per micro-batch
        self.ema = None
        if getattr(self.args, "ema_decay", None) is not None:
            plugin = getattr(self.accelerator.state, "deepspeed_plugin", None) if self.is_deepspeed_enabled else None
            check_ema(self.args, zero_stage=getattr(plugin, "zero_stage", None), fsdp=self.is_fsdp_enabled)
            self.ema = WeightEma(self._unwrapped(), self.args.ema_decay)
            self.add_callback(EmaCallback(self.ema, self._unwrapped))

    def _unwrapped(self):
        return self.accelerator.unwrap_model(self.model)

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

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The Trainer's loss, or on mixed training batches the soft-target cross-entropy of the mixed clips."""
        if self.mixup is None or not model.training:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        step = self.state.global_step
        micro = self._mix_step[1] + 1 if self._mix_step[0] == step else 0
        self._mix_step = (step, micro)
        rng = mix_rng(self.args.seed, self.args.process_index, step, micro)
        pixel_values, targets = self.mixup(inputs["pixel_values"], inputs["labels"], rng)
        extra = {k: v for k, v in inputs.items() if k not in ("pixel_values", "labels")}
        outputs = model(pixel_values=pixel_values, **extra)
        per_clip = soft_target_cross_entropy(outputs["logits"], targets, reduction="none")
        if self.model_accepts_loss_kwargs and num_items_in_batch is not None:
            # normalised as the model's own loss is (sum / clips of the whole accumulated batch), so the Trainer's
            # gradient-accumulation and cross-device scaling treat both alike
            loss = per_clip.sum() / num_items_in_batch
            if self.args.average_tokens_across_devices:
                loss = loss * (self.accelerator.num_processes // self.get_tp_size() if self.args.n_gpu <= 1 else
                               self.args.n_gpu)  # fmt: skip
        else:
            loss = per_clip.mean()
        return (loss, outputs) if return_outputs else loss

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

    def _save_checkpoint(self, model, trial) -> None:
        """The Trainer's save, then the weights' average (``ema_decay``), then the completion record written last
        (:func:`~inforates.training.run_dir.mark_checkpoint`): a checkpoint interrupted while saving never counts.
        Older checkpoints are rotated out (``save_total_limit``) only once the new one is complete."""
        limit, self.args.save_total_limit = self.args.save_total_limit, None
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self.args.save_total_limit = limit
        if not self.args.should_save:
            return
        run_dir = self._get_output_dir(trial=trial)
        folder = os.path.join(run_dir, f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}")
        if self.ema is not None:
            self.ema.save(folder)
        crash_point("checkpoint-before-record")
        mark_checkpoint(folder)
        rotate_checkpoints(output_dir=run_dir, save_total_limit=limit,
                           best_model_checkpoint=self.state.best_model_checkpoint, use_mtime=True)  # fmt: skip

    def train(self, resume_from_checkpoint=None, *args, **kwargs):
        if self.ema is not None and resume_from_checkpoint:
            folder = resume_from_checkpoint
            if isinstance(folder, bool):
                folder, _ = last_complete_checkpoint(Path(self.args.output_dir))
            if folder is not None:
                self.ema.load(folder)
        output = super().train(resume_from_checkpoint, *args, **kwargs)
        output.metrics.update({f"train_{k}": v for k, v in self.throughput.summary().items()})
        if self.ema is not None:
            self.ema.copy_to(self._unwrapped())
            logger.info("the model now holds the exponential moving average of its weights (ema_decay=%s)",
                        self.ema.decay)  # fmt: skip
        return output
