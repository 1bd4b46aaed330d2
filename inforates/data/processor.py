"""What a checkpoint expects of its pixels, in one place: read from its own processor config, written beside every
checkpoint, or built from an architecture's defaults for models that have no checkpoint.

    settings = ProcessorSettings.from_pretrained("MCG-NJU/videomae-base-finetuned-kinetics")  # a checkpoint's own
    settings.save_pretrained("outputs/run/checkpoint-100")  # beside every checkpoint: AutoImageProcessor reads it

    >>> settings = for_architecture("videomae", 224)  # a model built from its config: the full model's statistics
    >>> settings.shortest_edge, settings.crop_size, settings.image_mean
    (224, (224, 224), (0.485, 0.456, 0.406))
    >>> resized(settings, 160).crop_size  # another input size, the resize-to-crop ratio kept
    (160, 160)

Normalisation statistics always come from the checkpoint, never from class defaults; the transforms that apply
these settings are :mod:`inforates.data.transforms`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..model_registry import Architecture, architecture


logger = logging.getLogger(__name__)

CONFIG_NAMES = ("preprocessor_config.json", "video_preprocessor_config.json")
_RESAMPLE = {2: "bilinear", 3: "bicubic"}  # PIL codes in the configs; both run antialiased on uint8 in torch
_IMAGENET_STANDARD = (0.5, 0.5, 0.5)


def _triple(value, key: str) -> tuple[float, float, float]:
    values = [float(value)] * 3 if isinstance(value, (int, float)) else [float(v) for v in value]
    if len(values) != 3:
        raise ValueError(f"{key} needs 3 values (one per RGB channel), got {value!r}")
    return tuple(values)


def _pair(value, key: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, dict) and "height" in value and "width" in value:
        return (int(value["height"]), int(value["width"]))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{key} must be an int, (height, width) or {{'height', 'width'}}, got {value!r}")


@dataclass
class ProcessorSettings:
    """What a checkpoint expects of its pixels. ``shortest_edge=None`` with ``resize_to=(h, w)`` resizes to an
    exact size (a config ``size`` of ``{"height", "width"}``); ``crop_size=None`` skips the crop."""

    image_mean: tuple[float, float, float]
    image_std: tuple[float, float, float]
    shortest_edge: int | None
    crop_size: tuple[int, int] | None
    rescale_factor: float = 1 / 255
    offset: bool = False  # ViViT: x * rescale_factor - 1, so 1/127.5 maps [0, 255] to [-1, 1]
    do_normalize: bool = True
    image_processor_type: str | None = None
    resize_to: tuple[int, int] | None = None
    resample: str = "bilinear"
    source: str | None = field(default=None, compare=False)  # where these settings were read from

    def __post_init__(self) -> None:
        self.image_mean = _triple(self.image_mean, "image_mean")
        self.image_std = _triple(self.image_std, "image_std")
        if any(s <= 0 for s in self.image_std):
            raise ValueError(f"image_std must be > 0, got {self.image_std}")
        self.crop_size = _pair(self.crop_size, "crop_size")
        self.resize_to = _pair(self.resize_to, "resize_to")
        if self.shortest_edge is not None and self.resize_to is not None:
            raise ValueError("give shortest_edge or resize_to, not both")
        if self.shortest_edge is not None and int(self.shortest_edge) < 1:
            raise ValueError(f"shortest_edge must be >= 1, got {self.shortest_edge}")
        if self.resample not in _RESAMPLE.values():
            raise ValueError(f"resample must be one of {sorted(_RESAMPLE.values())}, got {self.resample!r}")

    @property
    def output_size(self) -> tuple[int, int] | None:
        """``(height, width)`` of every transformed frame, or None when it depends on the video's aspect ratio."""
        return self.crop_size or self.resize_to

    # --- reading -------------------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, config: dict[str, Any], source: str | None = None) -> ProcessorSettings:
        """Settings from a transformers image/video processor config (VideoMAE, TimeSformer or ViViT style)."""
        where = f"{source}: " if source else ""
        try:
            size = config.get("size", {"shortest_edge": 224})
            shortest_edge, resize_to = None, None
            if config.get("do_resize", True):
                if isinstance(size, int):  # legacy feature-extractor configs: an int is the shortest edge
                    shortest_edge = size
                elif isinstance(size, dict) and size.get("shortest_edge"):
                    shortest_edge = int(size["shortest_edge"])
                else:
                    resize_to = _pair(size, "size")
            crop_size = None
            if config.get("do_center_crop", True):
                crop = config.get("crop_size")
                if crop is None:  # legacy configs crop to an int size; the processors' default is 224 x 224
                    crop = size if isinstance(size, int) or (isinstance(size, dict) and "height" in size) else 224
                crop_size = _pair(crop, "crop_size")
            processor = (
                config.get("image_processor_type")
                or config.get("video_processor_type")
                or config.get("feature_extractor_type")
            )
            resample = config.get("resample", 2)
            return cls(
                image_mean=config.get("image_mean", _IMAGENET_STANDARD),
                image_std=config.get("image_std", _IMAGENET_STANDARD),
                shortest_edge=shortest_edge,
                crop_size=crop_size,
                rescale_factor=float(config.get("rescale_factor", 1 / 255)) if config.get("do_rescale", True) else 1.0,
                offset=bool(config.get("offset", False)),
                do_normalize=bool(config.get("do_normalize", True)),
                image_processor_type=processor,
                resize_to=resize_to,
                resample=_RESAMPLE.get(resample, resample) if isinstance(resample, int) else str(resample),
                source=source,
            )
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"{where}unusable processor config: {err}") from None

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, revision: str = "main") -> ProcessorSettings:
        """Read the processor config of a local checkpoint folder or a Hub id (never a registry name: models.py
        resolves those, and builds the settings of models that have no checkpoint).

        Looks for ``preprocessor_config.json`` then ``video_preprocessor_config.json``.
        """
        name = os.fspath(name_or_path)
        if os.path.isdir(name):
            for config_name in CONFIG_NAMES:
                path = Path(name) / config_name
                if path.is_file():
                    return cls.from_dict(_read_json(path), source=str(path))
            raise FileNotFoundError(
                f"{name}: no {' or '.join(CONFIG_NAMES)} in this folder; copy it from the base checkpoint "
                "(or save one with ProcessorSettings.save_pretrained)"
            )
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError

        errors = []
        for config_name in CONFIG_NAMES:
            try:
                path = hf_hub_download(name, config_name, revision=revision)
            except EntryNotFoundError:
                continue
            except Exception as err:  # offline, unknown repo, gated repo...: say which and how to fix
                errors.append(f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}")
                break
            return cls.from_dict(_read_json(Path(path)), source=f"{name}/{config_name}")
        detail = f" ({errors[0]})" if errors else ""
        raise FileNotFoundError(
            f"{name}: cannot read {' or '.join(CONFIG_NAMES)} from the Hub{detail}; check the id, log in for a "
            "gated model, or download the checkpoint and pass its folder"
        )

    # --- writing -------------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A ``preprocessor_config.json`` that transformers' ``AutoImageProcessor`` loads as it is."""
        processor = self.image_processor_type
        if self.offset:
            processor = "VivitImageProcessor"  # the only image processor with offset
        elif processor not in ("VideoMAEImageProcessor", "VivitImageProcessor"):
            processor = "VideoMAEImageProcessor"  # also what TimeSformer checkpoints name
        if self.shortest_edge is not None:
            size = {"shortest_edge": int(self.shortest_edge)}
        elif self.resize_to is not None:
            size = {"height": self.resize_to[0], "width": self.resize_to[1]}
        else:
            size = {"shortest_edge": 224}  # unused (do_resize is false) but the processors require a size
        config = {
            "image_processor_type": processor,
            "do_resize": self.shortest_edge is not None or self.resize_to is not None,
            "size": size,
            "resample": {v: k for k, v in _RESAMPLE.items()}[self.resample],
            "do_center_crop": self.crop_size is not None,
            "crop_size": {"height": self.crop_size[0], "width": self.crop_size[1]} if self.crop_size else None,
            "do_rescale": True,
            "rescale_factor": self.rescale_factor,
            "do_normalize": self.do_normalize,
            "image_mean": list(self.image_mean),
            "image_std": list(self.image_std),
        }
        if config["crop_size"] is None:
            del config["crop_size"]
        if processor == "VivitImageProcessor":
            config["offset"] = self.offset
        return config

    def save_pretrained(self, save_directory: str | os.PathLike) -> Path:
        """Write ``preprocessor_config.json`` into ``save_directory`` (created if needed)."""
        path = Path(save_directory) / CONFIG_NAMES[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    def to_json_dict(self) -> dict[str, Any]:
        """All fields, for run metadata (``run.json``)."""
        return asdict(self)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable JSON processor config ({err})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a processor config is a JSON object, got {type(config).__name__}")
    return config


def for_architecture(arch: Architecture | str, size: int) -> ProcessorSettings:
    """The full model's preprocessing for an architecture (or ``model_type``), resizing and cropping to ``size``:
    what a model built from its config (a tiny preset, ``random_init``) is trained and evaluated with, and saves
    beside its weights.

    >>> for_architecture("vivit", 32).offset, for_architecture("vivit", 32).crop_size
    (True, (32, 32))
    """
    arch = architecture(arch) if isinstance(arch, str) else arch
    return ProcessorSettings(
        image_mean=arch.image_mean,
        image_std=arch.image_std,
        shortest_edge=size,
        crop_size=(size, size),
        rescale_factor=arch.rescale_factor,
        offset=arch.offset,
        image_processor_type=arch.image_processor_type,
        source=f"defaults:{arch.model_type}",
    )


def resized(settings: ProcessorSettings, size: int) -> ProcessorSettings:
    """Crop ``size`` pixels, keeping the checkpoint's resize-to-crop ratio (e.g. 256 -> 224)."""
    if settings.output_size == (size, size):
        return settings
    edge = size
    if settings.crop_size is not None and settings.shortest_edge is not None:
        edge = round(settings.shortest_edge * size / settings.crop_size[0])
    logger.info("processor: resize to %d px, crop %d px (checkpoint: %s)", edge, size, settings.output_size)
    return dataclasses.replace(settings, shortest_edge=edge, resize_to=None, crop_size=(size, size))
