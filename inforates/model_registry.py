"""Known model names: the three study checkpoints and tiny random-init presets for tests and the demo.

``model_name_or_path`` in a recipe is one of these names, a local checkpoint folder, or any Hub id of an
``AutoModelForVideoClassification`` model (``org/name``). This module is a plain table (no torch import) so that
recipes are validated before any heavy work starts; ``inforates.models`` builds the models.

    >>> MODEL_REGISTRY["videomae"].checkpoint
    'MCG-NJU/videomae-base-finetuned-kinetics'
    >>> MODEL_REGISTRY["tiny-vivit"].num_frames
    8
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
KINETICS_MEAN, KINETICS_STD = (0.45, 0.45, 0.45), (0.225, 0.225, 0.225)  # TimeSformer's processor
HALF = (0.5, 0.5, 0.5)  # ViViT's processor


@dataclass(frozen=True)
class ModelSpec:
    """Defaults for one named model. ``checkpoint`` is None for tiny presets, which are built from ``config``."""

    model_type: str  # transformers config model_type: timesformer | videomae | vivit
    num_frames: int
    image_size: int
    checkpoint: str | None = None
    config: dict = field(default_factory=dict)  # config overrides for tiny presets
    # Normalisation of the full model's image processor; used where no processor config can be read
    # (tiny presets, models built from config). Real checkpoints always use their own processor config.
    image_mean: tuple[float, float, float] = IMAGENET_MEAN
    image_std: tuple[float, float, float] = IMAGENET_STD
    image_processor_type: str = "VideoMAEImageProcessor"


_TINY = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}
_TIMESFORMER = {"image_mean": KINETICS_MEAN, "image_std": KINETICS_STD}
_VIVIT = {"image_mean": HALF, "image_std": HALF, "image_processor_type": "VivitImageProcessor"}

MODEL_REGISTRY: dict[str, ModelSpec] = {
    "timesformer": ModelSpec("timesformer", 8, 224, "facebook/timesformer-base-finetuned-k400", **_TIMESFORMER),
    "videomae": ModelSpec("videomae", 16, 224, "MCG-NJU/videomae-base-finetuned-kinetics"),
    "vivit": ModelSpec("vivit", 32, 224, "google/vivit-b-16x2-kinetics400", **_VIVIT),
    "tiny-timesformer": ModelSpec("timesformer", 8, 32, None, {**_TINY, "patch_size": 16}, **_TIMESFORMER),
    "tiny-videomae": ModelSpec("videomae", 8, 32, None, {**_TINY, "patch_size": 16, "tubelet_size": 2}),
    "tiny-vivit": ModelSpec("vivit", 8, 32, None, {**_TINY, "tubelet_size": [2, 16, 16]}, **_VIVIT),
}


def resolve_model_name(name: str) -> str:
    """Validate a ``model_name_or_path``: a registry name, an existing folder, or a Hub id (``org/name``)."""
    if name in MODEL_REGISTRY or os.path.isdir(name):
        return name
    if "/" in name and not name.startswith((".", "/")) and name.count("/") == 1:
        return name  # a Hub id; reachability is checked when loading (or by `inforates doctor`)
    raise ValueError(
        f"unknown model {name!r}: not a registry name ({', '.join(MODEL_REGISTRY)}), "
        "not an existing folder, and not a Hub id of the form org/name"
    )
