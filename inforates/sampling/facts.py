"""What a clip shows, and which cells of a grid are the same cell: facts computed from the indices themselves.

>>> clip_facts([0, 0, 4, 4, 8], fps=25.0)
ClipFacts(distinct_frames=3, span_frames=9, span_seconds=0.36, median_spacing=4.0)
>>> frames_text(np.array([0, 0, 16])), union_indices([np.array([4, 0]), np.array([0, 8])]).tolist()
('0 0 16', [0, 4, 8])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClipFacts:
    """What a clip shows: distinct frames, frames spanned (first to last, inclusive), and in seconds."""

    distinct_frames: int
    span_frames: int
    span_seconds: float
    median_spacing: float  # median gap between consecutive distinct frames (nan with one distinct frame)


def clip_facts(indices: Sequence[int] | np.ndarray, fps: float | None = None) -> ClipFacts:
    """Facts about sampled ``indices``; ``span_seconds`` is ``span_frames / fps`` (nan without fps)."""
    distinct = np.unique(np.asarray(indices, dtype=np.int64))
    if distinct.size == 0:
        raise ValueError("clip_facts needs at least one index")
    span = int(distinct[-1] - distinct[0] + 1)
    spacing = float(np.median(np.diff(distinct))) if distinct.size > 1 else math.nan
    seconds = span / fps if fps else math.nan
    return ClipFacts(int(distinct.size), span, seconds, spacing)


def frames_text(indices: np.ndarray | None) -> str:
    """A clip's indices as stored in predictions (``"0 0 16"``); ``""`` for a video too short for its cell."""
    return "" if indices is None else " ".join(map(str, np.asarray(indices).tolist()))


def union_indices(index_sets: Iterable[np.ndarray]) -> np.ndarray:
    """Sorted unique frames needed by several clips of one video: decode these once, gather each clip from them."""
    arrays = [np.asarray(a, dtype=np.int64) for a in index_sets]
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.int64)


def same_frames_as(frames_by_variant: dict[str, Sequence[str]]) -> dict[str, str]:
    """For each variant (in the given order), the first earlier variant that gave every video exactly the same
    indices, or ``""``. ``frames_by_variant[v]`` lists the :func:`frames_text` of every video, in one video order.

    >>> same_frames_as({"cov75_s16": ["0 16 32", "0 8"], "cov100_s16": ["0 16 32", "0 8"], "cov100_s1": ["0 1 2", "0 8"]})
    {'cov75_s16': '', 'cov100_s16': 'cov75_s16', 'cov100_s1': ''}
    """
    first: dict[tuple, str] = {}
    out = {}
    for variant, frames in frames_by_variant.items():
        key = tuple(frames)
        out[variant] = first.get(key, "")
        first.setdefault(key, variant)
    return out
