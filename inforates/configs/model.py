"""``ModelArguments``: which checkpoint or architecture, its clip length, image size, attention and depth."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import RecipeError
from ..model_registry import resolve
from .checks import check_choice, check_range, fail


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Registry name (timesformer, videomae, vivit, tiny-*), a local checkpoint, or a Hub id."},
    )
    num_frames: int | None = field(default=None, metadata={"help": "Frames per clip; defaults to the model's."})
    image_size: int | None = field(default=None, metadata={"help": "Input size in pixels; defaults to the model's."})
    attn_implementation: str = field(default="auto", metadata={"help": "auto (SDPA where supported), sdpa or eager."})
    model_revision: str = field(default="main", metadata={"help": "Hub revision (branch, tag or commit)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom model code from the Hub."})
    random_init: bool = field(
        default=False,
        metadata={"help": "Build the architecture from its config, random weights (no download)."},
    )
    drop_path_rate: float | None = field(
        default=None,
        metadata={"help": "Stochastic depth: the last encoder layer's drop rate, rising linearly from 0 at the first "
                          "(TimeSformer's config key; a wrapper for VideoMAE and ViViT). Default: the checkpoint's."},
    )  # fmt: skip
    head_dropout: float | None = field(
        default=None,
        metadata={"help": "Dropout on the classifier's input features when training (VideoMAE: --fc_drop_rate 0.5). "
                          "Default: the checkpoint's (config.classifier_dropout), else none."},
    )  # fmt: skip

    def __post_init__(self) -> None:
        if self.model_name_or_path is not None:
            try:
                resolve(self.model_name_or_path)
            except ValueError as err:
                raise RecipeError(f"model_name_or_path: {err}") from None
        if self.num_frames is not None and self.num_frames < 1:
            fail("num_frames", self.num_frames, "must be >= 1")
        if self.image_size is not None and self.image_size < 1:
            fail("image_size", self.image_size, "must be >= 1")
        check_range("drop_path_rate", self.drop_path_rate, 0, 1, "[)")
        check_range("head_dropout", self.head_dropout, 0, 1, "[)")
        check_choice("attn_implementation", self.attn_implementation, ("auto", "sdpa", "eager"))
