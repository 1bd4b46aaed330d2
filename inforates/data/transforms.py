"""Pixel preprocessing in plain torch, with the settings a checkpoint's own processor config gives
(:class:`~inforates.data.processor.ProcessorSettings`, their own module), and the crop geometry.

    >>> from inforates.data.processor import for_architecture
    >>> settings = for_architecture("videomae", 32)  # or ProcessorSettings.from_pretrained(checkpoint)
    >>> frames = torch.zeros(8, 3, 48, 64, dtype=torch.uint8)
    >>> eval_transform(frames, settings).shape  # uint8 (T, 3, H, W) -> float32 (T, 3, 32, 32)
    torch.Size([8, 3, 32, 32])
    >>> generator = torch.Generator().manual_seed(0)
    >>> train_transform(frames, settings, generator, min_scale=0.08, rand_augment=RandAugment("m7-n4")).dtype
    torch.float32
    >>> crop_boxes(32, 48, (32, 32), 3)  # (top, left) of the three crops of multi-view testing on a landscape frame
    [(0, 0), (0, 8), (0, 16)]

``eval_transform`` does what transformers' ``VideoMAEImageProcessor`` / ``VivitImageProcessor`` do (TimeSformer
checkpoints use the VideoMAE one): resize the shortest edge (antialiased, on uint8 like PIL and torchvision),
centre crop, rescale (ViViT: ``x / 127.5 - 1``), normalise. It runs on a whole clip at once and needs no
torchvision. Normalisation statistics always come from the checkpoint, never from class defaults.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .processor import ProcessorSettings
from .rand_augment import RandAugment


__all__ = [
    "check_crop", "crop_axis", "crop_boxes", "eval_geometry", "eval_transform", "pad_to_crop",
    "to_pixel_values", "train_geometry", "train_transform",
]  # fmt: skip


# --- transforms ----------------------------------------------------------------------------------------------------


def weighted_frames(frames: torch.Tensor, weights) -> torch.Tensor:
    """``(T, C, H, W)`` frames each a weighted sum of ``frames`` (``(S, C, H, W)``) with ``weights`` ``(T, S)``
    (rows summing to 1: a temporal prefilter, :mod:`inforates.sampling.prefilter`); uint8 in, uint8 out (rounded),
    float in, float out.

    >>> frames = torch.tensor([0, 10, 20], dtype=torch.uint8).view(3, 1, 1, 1)
    >>> weighted_frames(frames, [[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]]).flatten().tolist()
    [5, 15]
    """
    weights = torch.as_tensor(weights, dtype=torch.float32)
    if bool((weights.amax(dim=1) == 1).all()):  # point sampling: each frame one of the decoded ones
        return frames[weights.argmax(dim=1)]
    mixed = (weights @ frames.reshape(len(frames), -1).to(torch.float32)).reshape(len(weights), *frames.shape[1:])
    return mixed.round().clamp(0, 255).to(torch.uint8) if frames.dtype == torch.uint8 else mixed.to(frames.dtype)


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


def crop_axis(height: int, width: int, crop_size: tuple[int, int] | None) -> str:
    """The axis the three crops move along: the long side of the (resized) frame; ``none`` for a square frame
    or no crop (the crops coincide)."""
    if crop_size is None or height == width:
        return "none"
    return "width" if width > height else "height"


def crop_boxes(height: int, width: int, crop_size: tuple[int, int] | None, crops: int) -> list[tuple[int, int]]:
    """``(top, left)`` of each of ``crops`` (1 or 3) crops of ``crop_size`` on a ``height x width`` frame, which
    is first zero-padded to the crop where smaller (as the centre crop is). The centre box is
    the centre crop's; ``crop_size=None`` (no crop): one box, the whole frame."""
    if crop_size is None:
        return [(0, 0)] * crops
    crop_h, crop_w = crop_size
    height, width = max(height, crop_h), max(width, crop_w)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    if crops == 1:
        return [(top, left)]
    axis = crop_axis(height, width, crop_size)
    if axis == "width":
        return [(top, 0), (top, left), (top, width - crop_w)]
    if axis == "height":
        return [(0, left), (top, left), (height - crop_h, left)]
    return [(top, left)] * 3


def pad_to_crop(frames: torch.Tensor, crop_size: tuple[int, int] | None) -> torch.Tensor:
    """Zero-pad ``(..., h, w)`` frames smaller than the crop around the frame, as the centre crop does."""
    if crop_size is None:
        return frames
    height, width = frames.shape[-2:]
    pad_h, pad_w = max(crop_size[0] - height, 0), max(crop_size[1] - width, 0)
    if not (pad_h or pad_w):
        return frames
    return F.pad(frames, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))


def _center_crop(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    frames = pad_to_crop(frames, size)  # as transformers: zero-pad around a frame smaller than the crop first
    (top, left), (crop_h, crop_w) = crop_boxes(*frames.shape[-2:], size, 1)[0], size
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
    """Training augmentation with one draw per clip (every frame gets the same operations, crop and flip), uint8 in
    and out (:func:`train_transform` converts to floats).

    In VideoMAE's order: ``rand_augment`` (a :class:`~inforates.data.rand_augment.RandAugment`, off when None) on
    the clip as given; then with ``random_resized_crop`` a box of ``min_scale``..``max_scale`` of the frame's area,
    width/height ``min_aspect``..``max_aspect`` (log-uniform), resized to the output size, without it
    :func:`eval_transform`'s geometry; then ``horizontal_flip`` mirrors the clip with probability 1/2 (turn it off
    where left/right is the label). All draws come from ``generator``, in that order.
    """
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
    *args,
    random_erasing_prob: float = 0.0,
    **options,
):
    """:func:`train_geometry` (the same arguments), then rescaled and normalised to float32 pixels, then
    :func:`random_erasing` with ``random_erasing_prob``."""
    pixels = to_pixel_values(train_geometry(frames, settings, generator, *args, **options), settings)
    return random_erasing(pixels, random_erasing_prob, generator)


def random_erasing(
    pixels: torch.Tensor,
    prob: float,
    generator: torch.Generator,
    area: tuple[float, float] = (0.02, 1 / 3),
    min_aspect: float = 0.3,
    attempts: int = 10,
) -> torch.Tensor:
    """With probability ``prob``, one box of a normalised clip ``(T, 3, H, W)`` replaced by standard normal noise,
    the same box and the same noise on every frame (a still occluder), in place; returns ``pixels``.

    timm's ``RandomErasing`` in its ``pixel`` mode, as VideoMAE fine-tunes with (``--reprob 0.25``): a box of
    ``area`` of the frame (uniform), height/width log-uniform in ``[min_aspect, 1/min_aspect]``, up to ``attempts``
    draws for one that fits. VideoMAE applies it to each frame as an image (a box per frame); here a clip gets one.
    Draws nothing from ``generator`` when ``prob`` is 0.

        >>> clip = torch.zeros(4, 3, 16, 16)
        >>> erased = random_erasing(clip, 1.0, torch.Generator().manual_seed(0))
        >>> bool((erased[0] != 0).any()), bool((erased == erased[0]).all())
        (True, True)
    """
    if prob <= 0 or float(torch.rand(1, generator=generator)) >= prob:
        return pixels
    height, width = pixels.shape[-2:]
    for _ in range(attempts):
        target = float(torch.empty(1).uniform_(*area, generator=generator)) * height * width
        aspect = math.exp(
            float(torch.empty(1).uniform_(math.log(min_aspect), -math.log(min_aspect), generator=generator))
        )
        h, w = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < h < height and 0 < w < width:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            noise = torch.empty(pixels.shape[-3], h, w).normal_(generator=generator)
            pixels[..., top : top + h, left : left + w] = noise
            return pixels
    return pixels


def reduce_resolution(pixels: torch.Tensor, resolution: int | None) -> torch.Tensor:
    """Frames ``(..., 3, H, W)`` (float) with less spatial information: each downscaled to ``resolution`` x
    ``resolution`` px (bilinear, antialiased: the mean over each output pixel's footprint) and resized back to
    ``H x W`` (bilinear), so the same model sees the detail of a ``resolution``-px frame. ``None``, or a resolution
    at least the frame's size on both sides, returns ``pixels`` unchanged.

        >>> frames = torch.rand(2, 3, 32, 32)
        >>> reduce_resolution(frames, 8).shape, reduce_resolution(frames, None) is frames
        (torch.Size([2, 3, 32, 32]), True)
    """
    height, width = pixels.shape[-2:]
    if resolution is None or (resolution >= height and resolution >= width):
        return pixels
    flat = pixels.reshape(-1, *pixels.shape[-3:])
    small = F.interpolate(flat, size=(resolution, resolution), mode="bilinear", antialias=True, align_corners=False)
    back = F.interpolate(small, size=(height, width), mode="bilinear", align_corners=False)
    return back.reshape(pixels.shape)
