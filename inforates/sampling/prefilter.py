"""Temporal anti-aliasing: each sampled frame the average of the frames around it, over its spacing (pure numpy).

    >>> sources, weights = prefilter_weights([0, 4, 8], total_frames=12, kind="box")
    >>> sources.tolist()
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    >>> weights[1].round(2).tolist()   # frame 4: the mean of frames 3..6 (a window of spacing 4, centred)
    [0.0, 0.0, 0.0, 0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0, 0.0]

Sampling a video every ``s`` frames keeps motion below ``fps / (2 s)``; faster motion folds back (aliasing:
:mod:`inforates.aliasing`). Sampling theory's remedy is a low-pass filter before subsampling: here a filter over
time, applied to the decoded frames. ``box`` averages the ``s`` frames of each sample's spacing window (a
first-null at ``fps / s``); ``triangle`` weights the ``2 s - 1`` frames around it by ``s - |distance|`` (two
boxes in a row: a smoother response, a deeper stop band, and more blur of what stays). ``none`` is point sampling.
The spacing ``s`` of a clip is the median distance between its distinct sampled frames (the stride, or the
spacing of ``spacing_budget``); a window is cut at the ends of the video. A clip of one frame, or of adjacent
frames, is left as it is.
"""

from __future__ import annotations

import numpy as np


PREFILTERS = ("none", "box", "triangle")


def clip_spacing(indices) -> int:
    """The median distance between the distinct sampled frames of a clip (1 for a clip of one frame)."""
    distinct = np.unique(np.asarray(indices, dtype=np.int64))
    return max(1, int(round(float(np.median(np.diff(distinct)))))) if len(distinct) > 1 else 1


def _kernel(kind: str, spacing: int) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and weights (summing to 1) of one sample's filter."""
    if kind == "box":
        offsets = np.arange(spacing) - (spacing - 1) // 2
        return offsets, np.full(spacing, 1.0 / spacing)
    if kind == "triangle":
        offsets = np.arange(-(spacing - 1), spacing)
        weights = (spacing - np.abs(offsets)).astype(np.float64)
        return offsets, weights / weights.sum()
    raise ValueError(f"prefilter must be one of {', '.join(PREFILTERS)}, got {kind!r}")


def prefilter_weights(indices, total_frames: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``(sources, weights)``: the frames to decode (sorted) and a ``(len(indices), len(sources))`` matrix whose
    row ``k`` (summing to 1) makes sampled frame ``k`` from them; ``kind="none"`` gives the sampled frames
    themselves. A window is cut at the video's ends (the weights of the frames left are renormalised)."""
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if kind == "none" or clip_spacing(indices) == 1:
        if kind not in PREFILTERS:
            raise ValueError(f"prefilter must be one of {', '.join(PREFILTERS)}, got {kind!r}")
        sources = np.unique(indices)
        return sources, (indices[:, None] == sources[None, :]).astype(np.float64)
    offsets, kernel = _kernel(kind, clip_spacing(indices))
    frames = indices[:, None] + offsets[None, :]
    inside = (frames >= 0) & (frames < total_frames)
    sources = np.unique(frames[inside])
    weights = np.zeros((len(indices), len(sources)))
    rows = np.broadcast_to(np.arange(len(indices))[:, None], frames.shape)
    np.add.at(
        weights,
        (rows[inside], np.searchsorted(sources, frames[inside])),
        np.broadcast_to(kernel, frames.shape)[inside],
    )
    return sources, weights / weights.sum(axis=1, keepdims=True)
