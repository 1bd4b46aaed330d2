"""``VideoTrainingArguments``: ``transformers.TrainingArguments`` with video defaults and fine-tuning options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transformers import TrainingArguments

from .checks import fail


@dataclass
class VideoTrainingArguments(TrainingArguments):
    """``transformers.TrainingArguments`` with the defaults video training needs."""

    remove_unused_columns: bool = field(
        default=False, metadata={"help": "Kept False: the video collator reads the raw video column."}
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Reuse a non-empty output_dir that holds a different run."}
    )
    ddp_find_unused_parameters: bool | None = field(
        default=False,
        metadata={"help": "False: TimeSformer/VideoMAE/ViViT use every parameter each step."},
    )
    layer_decay: float | None = field(
        default=None,
        metadata={"help": "Layer-wise learning-rate decay in (0, 1]: encoder layer i trains at lr * decay^(depth - i), "
                          "the head at lr; no weight decay on biases, norms, position embeddings. Off by default."},
    )  # fmt: skip

    mixup_alpha: float = field(
        default=0.0, metadata={"help": "Mixup's Beta(alpha, alpha) when training (0: off); one mix for all frames."}
    )
    cutmix_alpha: float = field(
        default=0.0, metadata={"help": "CutMix's Beta(alpha, alpha) when training (0: off); one box for all frames."}
    )
    mixup_prob: float = field(default=1.0, metadata={"help": "Share of batches mixed (when an alpha is > 0)."})
    mixup_switch_prob: float = field(
        default=0.5, metadata={"help": "With both alphas > 0: the share of mixed batches that use CutMix."}
    )
    ema_decay: float | None = field(
        default=None,
        metadata={"help": "Exponential moving average of the weights, updated each optimizer step (e.g. 0.9999); "
                          "the average is evaluated and saved as the final model. Off by default."},
    )  # fmt: skip

    @property
    def mixes(self) -> bool:
        """Whether training batches are mixed (mixup or CutMix)."""
        return (self.mixup_alpha > 0 or self.cutmix_alpha > 0) and self.mixup_prob > 0

    def __post_init__(self) -> None:
        for key, (ok, why) in _TRAINING_RANGES.items():
            value = getattr(self, key, None)
            if value is not None and not ok(value):
                fail(key, value, why)
        if self.mixes and self.per_device_train_batch_size < 2:
            fail("per_device_train_batch_size", self.per_device_train_batch_size,
                 "mixup/cutmix mix the clips of a batch with one another: use a batch of >= 2 clips per device")  # fmt: skip
        super().__post_init__()


# Ranges TrainingArguments itself leaves to fail later, deep inside the optimizer, the sampler or numpy.
_TRAINING_RANGES: dict[str, tuple[Any, str]] = {
    **{key: (lambda v: v >= 0, "must be >= 0") for key in (
        "learning_rate", "weight_decay", "adam_epsilon", "max_grad_norm", "num_train_epochs", "warmup_steps",
        "dataloader_num_workers", "save_total_limit", "eval_delay",
    )},
    **{key: (lambda v: v > 0, "must be > 0") for key in (
        "per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
        "eval_accumulation_steps", "logging_steps", "save_steps", "eval_steps", "dataloader_prefetch_factor",
    )},
    **{key: (lambda v: 0 <= v < 2**32, "a seed is an integer in [0, 2**32)") for key in ("seed", "data_seed")},
    **{key: (lambda v: 0 <= v < 1, "must be in [0, 1)") for key in (
        "adam_beta1", "adam_beta2", "label_smoothing_factor",
    )},
    **{key: (lambda v: 0 <= v <= 1, "must be in [0, 1]") for key in ("mixup_prob", "mixup_switch_prob")},
    **{key: (lambda v: v >= 0, "must be >= 0 (0 turns it off; 0.8 and 1.0 are VideoMAE's)") for key in (
        "mixup_alpha", "cutmix_alpha",
    )},
    "ema_decay": (lambda v: 0 < v < 1, "must be in (0, 1), e.g. 0.9999 (or unset for no average)"),
    "layer_decay": (lambda v: 0 < v <= 1, "must be in (0, 1]: 1 is no decay, 0.75 VideoMAE's ViT-B fine-tuning"),
    "max_steps": (lambda v: v == -1 or v > 0, "a positive step count, or -1 to train for num_train_epochs"),
}  # fmt: skip
