"""Motion-guided sampling (MGSampler, ICCV 2021, as a training-free baseline): a clip's frames at equal steps of
the video's cumulative motion instead of equal steps of time. Pure numpy.

    >>> energy = np.r_[np.zeros(50), np.ones(50)]          # still for 50 frames, then moving
    >>> motion_positions(energy, 0, 100, 1, 4).tolist()    # every frame in the moving half
    [56, 68, 81, 93]

``energy[t]`` is how much frame ``t`` differs from frame ``t - 1`` (:func:`motion_energy`; 0 for the first).
"""

from __future__ import annotations

import numpy as np


STILL_SHARE = 1e-3  # motion credited to every step, so that a still stretch is sampled evenly rather than skipped


def motion_energy(signals: np.ndarray) -> np.ndarray:
    """Per-frame motion of ``(T, pixels)`` grey signals (a small grey copy of each frame): the mean absolute
    difference from the previous frame, 0 for the first.

    >>> motion_energy(np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 0.0]])).tolist()
    [0.0, 1.0, 0.0]
    """
    x = np.asarray(signals, dtype=np.float64)
    return np.r_[0.0, np.abs(np.diff(x, axis=0)).mean(axis=1)] if len(x) else np.zeros(0)


def motion_positions(energy: np.ndarray, start: int, length: int, stride: int, clip_len: int) -> np.ndarray:
    """``clip_len`` frames of the window ``[start, start + length)`` (its every ``stride``-th frame the
    candidates) at equal steps of cumulative motion: the candidate where the cumulative motion first reaches the
    middle of each of ``clip_len`` equal shares of the window's motion (MGSampler's test mode). Frames are distinct
    and in order wherever the window has ``clip_len`` candidates; with fewer, each is used and repeated evenly
    (as ``coverage_stride``). Without motion the shares are shares of time (about TSN's segment centres)."""
    candidates = start + np.arange(0, length, stride, dtype=np.int64)
    n = len(candidates)
    if n < clip_len:
        return candidates[(np.arange(clip_len) * n) // clip_len]
    energy = np.nan_to_num(np.asarray(energy, dtype=np.float64), nan=0.0)
    ends = np.r_[energy.cumsum(), 0.0]  # cumulative motion up to each frame
    steps = np.diff(ends[candidates]) if n > 1 else np.zeros(0)  # motion between consecutive candidates
    steps = np.maximum(steps, 0.0) + STILL_SHARE * max(steps.sum(), 1e-12) / max(len(steps), 1)
    cumulative = np.r_[0.0, steps.cumsum()]
    targets = (np.arange(clip_len) + 0.5) / clip_len * cumulative[-1]
    picks = np.minimum(np.searchsorted(cumulative, targets), n - 1)
    for i in range(1, clip_len):  # distinct, in order: each after the one before ...
        picks[i] = max(picks[i], picks[i - 1] + 1)
    for i in range(clip_len - 1, -1, -1):  # ... and leaving room for the ones after
        picks[i] = min(picks[i], n - clip_len + i)
    return candidates[picks]
