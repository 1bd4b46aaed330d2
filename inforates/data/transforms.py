"""Pixel preprocessing in plain torch, with the settings read from the checkpoint's own processor config.

    >>> settings = ProcessorSettings.from_pretrained("MCG-NJU/videomae-base-finetuned-kinetics")
    >>> settings.shortest_edge, settings.crop_size, settings.image_mean
    (224, (224, 224), (0.485, 0.456, 0.406))
    >>> pixels = eval_transform(frames, settings)  # uint8 (T, 3, H, W) -> float32 (T, 3, 224, 224)
    >>> pixels = train_transform(frames, settings, torch.Generator().manual_seed(0))
    >>> pixels = train_transform(frames, settings, generator, min_scale=0.08, rand_augment=RandAugment("m7-n4"))
    >>> settings.save_pretrained("outputs/run/checkpoint-100")  # AutoImageProcessor.from_pretrained reads it

``eval_transform`` does what transformers' ``VideoMAEImageProcessor`` / ``VivitImageProcessor`` do (TimeSformer
checkpoints use the VideoMAE one): resize the shortest edge (antialiased, on uint8 like PIL and torchvision),
centre crop, rescale (ViViT: ``x / 127.5 - 1``), normalise. It runs on a whole clip at once and needs no
torchvision. Normalisation statistics always come from the checkpoint, never from class defaults.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from .rand_augment import RandAugment


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


# --- transforms ----------------------------------------------------------------------------------------------------


def _check_frames(frames: torch.Tensor) -> None:
    if not isinstance(frames, torch.Tensor) or frames.dtype != torch.uint8 or frames.ndim != 4 or frames.shape[1] != 3:
        shape = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        dtype = getattr(frames, "dtype", None)
        raise ValueError(f"frames must be a uint8 tensor (T, 3, H, W), got {dtype} {shape}")


def _resized_shape(height: int, width: int, settings: ProcessorSettings) -> tuple[int, int]:
    if settings.resize_to is not None:
        return settings.resize_to
    if settings.shortest_edge is None:
        return height, width
    short, long = min(height, width), max(height, width)
    new_short, new_long = int(settings.shortest_edge), int(int(settings.shortest_edge) * long / short)  # as HF
    return (new_short, new_long) if height <= width else (new_long, new_short)


def _resize(frames: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    if tuple(frames.shape[-2:]) == tuple(size):
        return frames
    # uint8 in and out, antialiased: what PIL (slow processors) and torchvision (fast processors) compute. Kept in
    # the decoder's channels-last layout, where torch's uint8 kernel is ~3x faster than on a contiguous copy.
    return F.interpolate(frames, size=size, mode=mode, antialias=True, align_corners=False)


def _center_crop(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    height, width = frames.shape[-2:]
    crop_h, crop_w = size
    if crop_h > height or crop_w > width:  # as transformers: zero-pad around the frame first
        pad_h, pad_w = max(crop_h - height, 0), max(crop_w - width, 0)
        frames = F.pad(frames, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        height, width = frames.shape[-2:]
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return frames[..., top : top + crop_h, left : left + crop_w]


def to_pixel_values(frames: torch.Tensor, settings: ProcessorSettings) -> torch.Tensor:
    """uint8 ``(..., 3, h, w)`` -> float32: ``(x * rescale_factor - offset - mean) / std``, one multiply-add."""
    scale = torch.full((1, 3, 1, 1), settings.rescale_factor, dtype=torch.float32)
    shift = torch.full((1, 3, 1, 1), -1.0 if settings.offset else 0.0, dtype=torch.float32)
    if settings.do_normalize:
        mean = torch.tensor(settings.image_mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(settings.image_std, dtype=torch.float32).view(1, 3, 1, 1)
        scale, shift = scale / std, (shift - mean) / std
    # the layout change happens on uint8 (a quarter of the bytes), then the arithmetic runs on contiguous floats
    pixels = frames.contiguous().to(torch.float32)
    return pixels.mul_(scale).add_(shift)


def eval_geometry(frames: torch.Tensor, settings: ProcessorSettings) -> torch.Tensor:
    """uint8 ``(T, 3, H, W)`` -> uint8 ``(T, 3, h, w)``: shortest-edge resize and centre crop."""
    _check_frames(frames)
    frames = _resize(frames, _resized_shape(*frames.shape[-2:], settings), settings.resample)
    if settings.crop_size is not None:
        frames = _center_crop(frames, settings.crop_size)
    return frames


def eval_transform(frames: torch.Tensor, settings: ProcessorSettings) -> torch.Tensor:
    """uint8 ``(T, 3, H, W)`` -> float32 ``(T, 3, h, w)``: shortest-edge resize, centre crop, rescale, normalise."""
    return to_pixel_values(eval_geometry(frames, settings), settings)


def _random_resized_box(
    height: int,
    width: int,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    generator: torch.Generator,
) -> tuple[int, int, int, int]:
    """torchvision's ``RandomResizedCrop.get_params``: ``(top, left, h, w)`` of a box of ``scale`` of the frame's
    area and width/height in ``ratio`` (drawn log-uniformly); 10 tries, then the centre clamped to ``ratio``."""
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target_area = area * float(torch.empty(1).uniform_(scale[0], scale[1], generator=generator))
        aspect = math.exp(float(torch.empty(1).uniform_(*log_ratio, generator=generator)))
        w = round(math.sqrt(target_area * aspect))
        h = round(math.sqrt(target_area / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            return top, left, h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, round(width / min(ratio))
    elif in_ratio > max(ratio):
        h, w = height, round(height * max(ratio))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def check_crop(scale: tuple[float, float], ratio: tuple[float, float]) -> None:
    """``ValueError`` unless 0 < scale[0] <= scale[1] <= 1 and 0 < ratio[0] <= ratio[1]."""
    if not 0 < scale[0] <= scale[1] <= 1:
        raise ValueError(f"crop scale must satisfy 0 < min <= max <= 1, got {tuple(scale)}")
    if not 0 < ratio[0] <= ratio[1] < math.inf:
        raise ValueError(f"crop aspect must satisfy 0 < min <= max, got {tuple(ratio)}")


def train_geometry(
    frames: torch.Tensor,
    settings: ProcessorSettings,
    generator: torch.Generator,
    random_resized_crop: bool = True,
    min_scale: float = 0.5,
    horizontal_flip: bool = True,
    *,
    max_scale: float = 1.0,
    min_aspect: float = 3 / 4,
    max_aspect: float = 4 / 3,
    rand_augment: RandAugment | None = None,
) -> torch.Tensor:
    """The augmentation of :func:`train_transform` without the conversion to floats: uint8 in and out."""
    _check_frames(frames)
    scale, ratio = (min_scale, max_scale), (min_aspect, max_aspect)
    check_crop(scale, ratio)
    if rand_augment is not None:
        frames = rand_augment(frames, generator)
    size = settings.output_size
    if random_resized_crop and size is not None:
        top, left, h, w = _random_resized_box(*frames.shape[-2:], scale, ratio, generator)
        frames = _resize(frames[..., top : top + h, left : left + w], size, settings.resample)
    else:
        frames = eval_geometry(frames, settings)
    if horizontal_flip and float(torch.rand(1, generator=generator)) < 0.5:
        frames = frames.flip(-1)
    return frames


def train_transform(
    frames: torch.Tensor,
    settings: ProcessorSettings,
    generator: torch.Generator,
    random_resized_crop: bool = True,
    min_scale: float = 0.5,
    horizontal_flip: bool = True,
    *,
    max_scale: float = 1.0,
    min_aspect: float = 3 / 4,
    max_aspect: float = 4 / 3,
    rand_augment: RandAugment | None = None,
) -> torch.Tensor:
    """Training augmentation with one draw per clip (every frame gets the same operations, crop and flip).

    In VideoMAE's order: ``rand_augment`` (a :class:`~inforates.data.rand_augment.RandAugment`, off when None) on
    the clip as given; then with ``random_resized_crop`` a box of ``min_scale``..``max_scale`` of the frame's area,
    width/height ``min_aspect``..``max_aspect`` (log-uniform), resized to the output size, without it
    :func:`eval_transform`'s geometry; then ``horizontal_flip`` mirrors the clip with probability 1/2 (turn it off
    where left/right is the label). All draws come from ``generator``, in that order.
    """
    frames = train_geometry(
        frames,
        settings,
        generator,
        random_resized_crop,
        min_scale,
        horizontal_flip,
        max_scale=max_scale,
        min_aspect=min_aspect,
        max_aspect=max_aspect,
        rand_augment=rand_augment,
    )
    return to_pixel_values(frames, settings)
