"""Multi-view testing: which distinct (frames, crop) clips each cell of a video averages, and the spatial crops.

A cell's views are its temporal views (:func:`inforates.sampling.temporal_views`, ``test_clips``) crossed with
the spatial crops (``test_crops``: 1 = the centre crop, 3 = first/centre/last along the long side of the frame
after the short-side resize, as VideoMAE's and SlowFast's "3 crops"). Views that give the same (indices, crop
box) are computed once per video (across cells too) and counted once per cell.

Per video and cell there are ``M = test_clips * test_crops + 1`` view slots: slot ``k * test_crops + c`` is
temporal view ``k`` with crop ``c``, the last slot the cell's single-view clip (its own anchor, centre crop)
where that is none of the others. Flags per slot: :data:`AVERAGED` (a distinct view, in the average) and
:data:`SINGLE` (the clip single-view evaluation takes).

    >>> crop_boxes(32, 48, (32, 32), 3)  # (top, left) of each crop on a landscape frame
    [(0, 0), (0, 8), (0, 16)]
    >>> plan = plan_views([SamplingVariant(100, 1)], 40, 8, clips=2, boxes=[(0, 0)], seed=0, video_id="v")
    >>> plan.slots.tolist(), plan.flags.tolist()  # coverage 100 %: the 2nd temporal view repeats the 1st
    ([[0, -1, -1]], [[3, 0, 0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..sampling import SamplingVariant, temporal_views, video_rng


AVERAGED, SINGLE = 1, 2
# What meta's crop-axis code means, and the names of the three crops along that axis.
CROP_AXES = ("none", "width", "height")
CROP_NAMES = {"none": ("center", "center", "center"), "width": ("left", "center", "right"),
              "height": ("top", "center", "bottom")}  # fmt: skip


def crop_axis(height: int, width: int, crop_size: tuple[int, int] | None) -> str:
    """The axis the three crops move along: the long side of the (resized) frame; ``none`` for a square frame
    or no crop (the crops coincide)."""
    if crop_size is None or height == width:
        return "none"
    return "width" if width > height else "height"


def crop_boxes(height: int, width: int, crop_size: tuple[int, int] | None, crops: int) -> list[tuple[int, int]]:
    """``(top, left)`` of each of ``crops`` (1 or 3) crops of ``crop_size`` on a ``height x width`` frame, which
    is first zero-padded to the crop where smaller (as ``data.transforms``' centre crop). The centre box is
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


@dataclass
class VideoViews:
    """One video's views: ``clips`` its distinct ``(indices, box)`` in first-seen order, ``slots (V, M)`` the
    clip of each view slot (-1: none), ``flags (V, M)`` :data:`AVERAGED` / :data:`SINGLE` bits."""

    clips: list[tuple[np.ndarray, tuple[int, int]]]
    slots: np.ndarray
    flags: np.ndarray


def plan_views(
    variants: Sequence[SamplingVariant],
    total_frames: int,
    clip_len: int,
    clips: int,
    boxes: Sequence[tuple[int, int]],
    seed: int = 0,
    video_id: str = "",
    fps: float | None = None,
) -> VideoViews:
    """The distinct views of every cell of one video (``boxes`` from :func:`crop_boxes`, centre in the middle).
    A cell the video is too short for has no views (all slots -1)."""
    crops = len(boxes)
    centre = boxes[crops // 2]
    num_slots = clips * crops + 1
    slots = np.full((len(variants), num_slots), -1, dtype=np.int64)
    flags = np.zeros((len(variants), num_slots), dtype=np.int8)
    found: dict[tuple, int] = {}
    distinct: list[tuple[np.ndarray, tuple[int, int]]] = []

    def clip_id(indices: np.ndarray, box: tuple[int, int]) -> int:
        key = (tuple(indices.tolist()), tuple(box))
        if key not in found:
            found[key] = len(distinct)
            distinct.append((np.asarray(indices, np.int64), tuple(box)))
        return found[key]

    for v, variant in enumerate(variants):
        views = temporal_views(variant, total_frames, clip_len, clips, rng=video_rng(seed, video_id), fps=fps)
        if views is None:
            continue
        own = variant.indices(total_frames, clip_len, rng=video_rng(seed, video_id), fps=fps)
        single = clip_id(own, centre)
        for k, indices in enumerate(views):
            for c, box in enumerate(boxes):
                slot, clip = k * crops + c, clip_id(indices, box)
                if clip not in slots[v, :slot]:
                    slots[v, slot], flags[v, slot] = clip, AVERAGED
        # the single-view clip is flagged where it is one of the views, else computed in the last slot (not averaged)
        where = np.flatnonzero(slots[v] == single)
        if len(where):
            flags[v, where[0]] |= SINGLE
        else:
            slots[v, -1], flags[v, -1] = single, SINGLE
    return VideoViews(distinct, slots, flags)


def slot_view(slot: int, clips: int, crops: int) -> tuple[int, int]:
    """``(temporal view k, crop c)`` of a view slot; the last slot (the single-view clip) is ``(-1, centre)``."""
    if slot == clips * crops:
        return -1, crops // 2
    return slot // crops, slot % crops
