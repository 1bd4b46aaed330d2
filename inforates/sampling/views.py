"""Temporal views of a cell (multi-view testing): the cell's window at several positions spread over the video.

A cell's *window* is the run of frames its sampler picks from: the coverage window (``coverage_stride``, ``dense``,
``segment``: ``max(1, floor(T * c / 100))`` frames, the sampler's frames placed inside it as usual) or, for
``spacing_budget``, the ``(k - 1) * spacing + 1`` frames of its ``k`` frames ``spacing`` apart. With ``clips = K > 1``
the window starts at ``K`` positions spread evenly from the first (0) to the last possible start (``T - window``),
in integer arithmetic as :func:`~inforates.sampling.even_positions`: ``floor(k * (T - window) / (K - 1))``. The
cell's anchor then does not matter. Where the window is the whole video (coverage 100 %) the ``K`` views are
identical; a video too short for a ``spacing_budget`` cell stays too short (``None``). ``clips = 1`` is the cell's
own single clip, anchor included: exactly what single-view evaluation takes.

    >>> view_starts(last_start=90, clips=3).tolist()
    [0, 45, 90]
    >>> [v.tolist() for v in temporal_views(SamplingVariant(coverage=50, stride=8), 100, 4, clips=2)]
    [[0, 16, 32, 48], [50, 66, 82, 98]]
    >>> [v.tolist() for v in temporal_views(SamplingVariant(coverage=100, stride=8), 100, 4, clips=2)]
    [[0, 32, 64, 96], [0, 32, 64, 96]]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .samplers import coverage_window, get_sampler
from .variants import SamplingVariant


def view_starts(last_start: int, clips: int) -> np.ndarray:
    """``clips`` window starts spread evenly over ``0..last_start`` (both ends included when ``clips > 1``);
    all 0 when ``last_start <= 0`` (the window fills the video). ``clips = 1`` gives ``[0]``."""
    if isinstance(clips, bool) or int(clips) != clips or clips < 1:
        raise ValueError(f"clips must be an integer >= 1, got {clips!r}")
    k = np.arange(int(clips), dtype=np.int64)
    last_start = max(0, int(last_start))
    return (k * last_start) // (int(clips) - 1) if clips > 1 else np.zeros(1, np.int64)


def window_frames(variant: SamplingVariant, total_frames: int, fps: float | None = None) -> int:
    """The length of ``variant``'s window on a video of ``total_frames`` frames (see the module docstring)."""
    if get_sampler(variant.sampler).takes_budget:
        return (int(variant.budget) - 1) * variant.stride_frames(fps) + 1
    return coverage_window(int(total_frames), variant.coverage)[1]


def temporal_views(
    variant: SamplingVariant,
    total_frames: int,
    clip_len: int,
    clips: int,
    rng: np.random.Generator | None = None,
    fps: float | None = None,
) -> list[np.ndarray] | None:
    """``clips`` index arrays (``clip_len`` each, temporal view 0 first), or ``None`` where the video is too short
    for the cell. ``clips = 1``: ``[variant.indices(...)]`` (its anchor, ``rng`` for a random one); more: the
    window shifted to :func:`view_starts` (no randomness). Equal views are returned as they are (callers count
    distinct ones)."""
    if int(clips) == 1:
        indices = variant.indices(total_frames, clip_len, rng=rng, fps=fps)
        return None if indices is None else [indices]
    at_start = dataclasses.replace(variant, anchor="start").indices(total_frames, clip_len, fps=fps)
    if at_start is None:
        return None
    starts = view_starts(int(total_frames) - window_frames(variant, total_frames, fps), clips)
    return [at_start + start for start in starts]
