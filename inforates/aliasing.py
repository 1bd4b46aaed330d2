"""The aliasing rule, in one place: how far a rotation turns between two sampled frames, and when its direction
can still be read.

    >>> aliasing_x(f_hz=1.5, delta_frames=16, fps=24.0)   # revolutions between two sampled frames
    1.0
    >>> direction_visible(aliasing_x([0.5, 1.0, 1.6], 8, 24.0)).tolist()   # x = 1/6, 1/3, 8/15
    [True, True, False]
    >>> direction_of(["dot_cw", "bar_ccw", "walk"]).tolist()
    ['cw', 'ccw', '']

A turn of ``frac(x)`` revolutions is indistinguishable from ``frac(x) - 1`` (the other way round); the shortest
explanation wins, so past half a revolution per step the shape appears to turn backwards (the wagon-wheel effect),
and at a whole number of revolutions it appears to stand still. The direction is visible iff ``0 < frac(x) < 0.5``.
Pure numpy: used by the synthetic benchmark, the statistics and the plots alike.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


DIRECTIONS = ("cw", "ccw")  # the synthetic classes are <shape>_<direction>
NYQUIST_FRAC = 0.5
_EPS = 1e-9  # x computed from float fps: 0.5 - 1e-12 is the limit itself, not "below" it


def aliasing_x(f_hz, delta_frames, fps):
    """Revolutions the shape turns between two frames ``delta_frames`` apart: ``x = f * delta / fps``.

    >>> aliasing_x([0.5, 1.0], 12, 24.0)
    array([0.25, 0.5 ])
    """
    x = np.asarray(f_hz, float) * np.asarray(delta_frames, float) / np.asarray(fps, float)
    return float(x) if x.ndim == 0 else x


def critical_spacing(f_hz, fps):
    """The spacing (frames) at which a motion of ``f_hz`` reaches half a turn per step, ``fps / (2 f)``: sparser
    sampling shows it backwards. A still video (``f = 0``) has none (``inf``).

    >>> critical_spacing([2.0, 0.0], 24.0).tolist()
    [6.0, inf]
    """
    f = np.asarray(f_hz, float)
    with np.errstate(divide="ignore"):
        spacing = np.where(f > 0, np.asarray(fps, float) / (2 * np.where(f > 0, f, 1.0)), np.inf)
    return float(spacing) if spacing.ndim == 0 else spacing


def frac(x):
    """The fractional part of ``x``, in [0, 1)."""
    x = np.asarray(x, float)
    out = x - np.floor(x)
    return float(out) if out.ndim == 0 else out


def direction_visible(x):
    """Whether a step of ``x`` revolutions shows the true direction: ``0 < frac(x) < 0.5``."""
    f = np.asarray(frac(x))
    visible = (f > _EPS) & (f < NYQUIST_FRAC - _EPS)
    return bool(visible) if visible.ndim == 0 else visible


def direction_of(class_names: Iterable[str]) -> np.ndarray:
    """``cw``/``ccw`` from ``<shape>_<direction>`` class names; ``""`` for any other name."""
    suffixes = [str(name).rsplit("_", 1)[-1] for name in class_names]
    return np.array([s if s in DIRECTIONS else "" for s in suffixes], dtype=object)
