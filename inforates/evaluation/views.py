"""Multi-view testing: which distinct (frames, crop) clips each cell of a video averages, and the spatial crops.

The crop geometry (``crop_boxes``, ``pad_to_crop``, ``crop_axis``) is the transforms' own
(:mod:`inforates.data.transforms`), the centre crop's included. A cell's views are its temporal views (:func:`inforates.sampling.temporal_views`, ``test_clips``) crossed with
the spatial crops (``test_crops``: 1 = the centre crop, 3 = first/centre/last along the long side of the frame
after the short-side resize, as VideoMAE's and SlowFast's "3 crops"). Views that give the same (indices, crop
box) are computed once per video (across cells too) and counted once per cell.

Per video and cell there are ``M = test_clips * test_crops + 1`` view slots: slot ``k * test_crops + c`` is
temporal view ``k`` with crop ``c``, the last slot the cell's single-view clip (its own anchor, centre crop)
where that is none of the others. Flags per slot: :data:`AVERAGED` (a distinct view, in the average) and
:data:`SINGLE` (the clip single-view evaluation takes).

    >>> plan = plan_views([SamplingVariant(100, 1)], 40, 8, clips=2, boxes=[(0, 0)], seed=0, video_id="v")
    >>> plan.slots.tolist(), plan.flags.tolist()  # coverage 100 %: the 2nd temporal view repeats the 1st
    ([[0, -1, -1]], [[3, 0, 0]])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..sampling import SamplingVariant, temporal_views, video_rng


AVERAGED, SINGLE = 1, 2
# What meta's crop-axis code means, and the names of the three crops along that axis.
CROP_AXES = ("none", "width", "height")
CROP_NAMES = {"none": ("center", "center", "center"), "width": ("left", "center", "right"),
              "height": ("top", "center", "bottom")}  # fmt: skip


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
