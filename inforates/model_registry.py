"""What inforates knows about models: each architecture's geometry and pixel preprocessing, and the named models.

``model_name_or_path`` in a recipe is a registry name, a local checkpoint folder, or any Hub id of an
``AutoModelForVideoClassification`` model (``org/name``); :func:`resolve` turns it into what to load. This module
is a plain table (no torch import) so that recipes are validated before any heavy work starts;
``inforates.models`` builds the models and is the only place that turns a spec into processor settings.

    >>> resolve("videomae").source, resolve("videomae").from_config
    ('MCG-NJU/videomae-base-finetuned-kinetics', False)
    >>> resolve("tiny-vivit").spec.clip_len, resolve("tiny-vivit").from_config
    (8, True)
    >>> ARCHITECTURES["vivit"].frames     # learned time embeddings sized by the config: the recipe must match
    'fixed'

Adding a model: one ``MODEL_REGISTRY`` entry (and, for a new architecture, one ``ARCHITECTURES`` entry);
``tests/test_models.py`` checks that every entry builds and that its training and evaluation pixels agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
KINETICS_MEAN, KINETICS_STD = (0.45, 0.45, 0.45), (0.225, 0.225, 0.225)  # TimeSformer's processor
HALF = (0.5, 0.5, 0.5)  # ViViT's processor


@dataclass(frozen=True)
class Architecture:
    """One ``model_type``: how it takes another clip length or image size, and its full model's preprocessing.

    Geometry rules (``frames`` for the clip length, ``size`` for the image size): ``"resize"``, learned time
    embeddings resized once at load (nearest, as TimeSformer's embeddings would at run time) together with
    ``config.num_frames`` -- TimeSformer's layers split tokens into frames by ``config.num_frames``, so feeding
    another clip length without this silently mixes frames; ``"config"``, the position table is computed from the
    config (VideoMAE's sinusoidal table), so the config value is replaced; ``"interpolated"``, the forward
    interpolates the learned position embeddings itself; ``"fixed"``, learned embeddings sized by the config: the
    recipe must match. The preprocessing is the full checkpoint's processor config, used where none can be read
    (tiny presets and models built from their config); real checkpoints always use their own.
    """

    model_type: str
    frames: str
    size: str
    image_processor_type: str = "VideoMAEImageProcessor"
    image_mean: tuple[float, float, float] = IMAGENET_MEAN
    image_std: tuple[float, float, float] = IMAGENET_STD
    rescale_factor: float = 1 / 255
    offset: bool = False  # ViViT: x * rescale_factor - 1


ARCHITECTURES: dict[str, Architecture] = {
    arch.model_type: arch
    for arch in (
        Architecture("timesformer", "resize", "interpolated", image_mean=KINETICS_MEAN, image_std=KINETICS_STD),
        Architecture("videomae", "config", "config"),
        Architecture("vivit", "fixed", "fixed", "VivitImageProcessor", HALF, HALF, 1 / 127.5, True),
    )
}
UNKNOWN_ARCHITECTURE = Architecture("unknown", "fixed", "fixed")  # any other video classifier: nothing may change


def architecture(model_type: str) -> Architecture:
    return ARCHITECTURES.get(model_type, UNKNOWN_ARCHITECTURE)


@dataclass(frozen=True)
class ModelSpec:
    """Defaults for one named model. ``checkpoint`` is None for tiny presets, which are built from ``config``."""

    model_type: str  # transformers config model_type, a key of ARCHITECTURES
    clip_len: int  # frames the model takes (the config's num_frames)
    image_size: int
    checkpoint: str | None = None
    config: dict = field(default_factory=dict)  # config overrides for tiny presets

    @property
    def architecture(self) -> Architecture:
        return ARCHITECTURES[self.model_type]


CHECKPOINTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")  # package data
_TINY = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}

MODEL_REGISTRY: dict[str, ModelSpec] = {
    "timesformer": ModelSpec("timesformer", 8, 224, "facebook/timesformer-base-finetuned-k400"),
    "videomae": ModelSpec("videomae", 16, 224, "MCG-NJU/videomae-base-finetuned-kinetics"),
    "vivit": ModelSpec("vivit", 32, 224, "google/vivit-b-16x2-kinetics400"),
    "tiny-timesformer": ModelSpec("timesformer", 8, 32, None, {**_TINY, "patch_size": 16}),
    "tiny-videomae": ModelSpec("videomae", 8, 32, None, {**_TINY, "patch_size": 16, "tubelet_size": 2}),
    "tiny-vivit": ModelSpec("vivit", 8, 32, None, {**_TINY, "tubelet_size": [2, 16, 16]}),
    # the demo's tiny pretrained checkpoints, shipped in the package (made by `inforates pretrain-demo`)
    **{
        f"demo-{model_type}": ModelSpec(model_type, 8, 32, os.path.join(CHECKPOINTS_DIR, "demo", model_type))
        for model_type in ("timesformer", "videomae", "vivit")
    },
}


@dataclass(frozen=True)
class ResolvedModel:
    """What a ``model_name_or_path`` means: ``source`` to load (Hub id or folder), or a ``spec`` to build from."""

    name: str
    source: str
    spec: ModelSpec | None
    from_config: bool  # build the architecture from its config with random weights (nothing downloaded)

    @property
    def local(self) -> bool:
        return os.path.isdir(self.source)


def resolve(name: str, random_init: bool = False) -> ResolvedModel:
    """A registry name, an existing folder, or a Hub id (``org/name``); ``ValueError`` for anything else.

    A registry name wins over a folder of that name; ``random_init`` builds a registry model from its config."""
    spec = MODEL_REGISTRY.get(name)
    if spec is not None:
        return ResolvedModel(name, spec.checkpoint or name, spec, random_init or spec.checkpoint is None)
    if os.path.isdir(name):
        return ResolvedModel(name, name, None, random_init)
    if "/" in name and not name.startswith((".", "/")) and name.count("/") == 1:
        return ResolvedModel(name, name, None, random_init)  # reachability is checked when loading (or by doctor)
    raise ValueError(
        f"unknown model {name!r}: not a registry name ({', '.join(MODEL_REGISTRY)}), "
        "not an existing folder, and not a Hub id of the form org/name"
    )
