"""A video's temporal bandwidth from its frames: the dominant motion frequency and a high-frequency cutoff (pure).

    >>> import numpy as np
    >>> t = np.arange(96)[:, None, None]
    >>> x = np.arange(16)[None, :, None] + np.zeros((1, 1, 16))
    >>> frames = 128 + 100 * np.sin(2 * np.pi * (2.0 * t / 24.0 - x / 16))   # a wave passing at 2 Hz
    >>> band = estimate_bandwidth(frames, fps=24.0)
    >>> round(band.f_hz, 2), band.method
    (2.0, 'period')

The method, and why. Every pixel of a (grey, block-averaged) clip is a signal in time; motion is what makes those
signals change. The frequency at which the direction of a motion can still be read is that of its fundamental:
a shape turning at ``f`` revolutions per second passes each pixel ``f`` times a second, so the pixel signals repeat
with period ``1/f`` however sharp the shape (whose sharpness only adds harmonics). So the estimator looks for the
**period** of the pooled pixel signals first: the difference function ``d(tau)`` (the mean squared change of
every pixel between frames ``tau`` apart) dips to near zero at the period, and the cumulative-mean normalisation
of YIN (de Cheveigne & Kawahara, 2002) picks the first deep dip, which avoids reporting a multiple of the period
(or the strongest harmonic, as a spectrum peak would). A clip that does not repeat (most real footage) has no
deep dip; its dominant frequency is then the power-weighted mean frequency of its motion spectrum (the pooled
periodogram of the pixel signals, Hann-windowed, minus a noise floor taken from its upper half, where white
sensor and coding noise lies flat). A clip whose spectrum does not rise above that floor, or in which no cell's
brightness varies by a grey level (the flicker of noise and coding, averaged over a cell, stays well under it;
any moving part changes its cell by many), is still: 0 Hz.

``cutoff_hz`` is the frequency under which 90 % of the motion power (above the floor) lies, the definition of the
per-video cutoff in the literature (there from optical-flow magnitude; here from pixel signals, which need no flow
and keep the direction's fundamental). ``confidence`` is how clearly the clip repeats at the period found
(``1 - d'(tau)``, in [0, 1]) for ``period`` estimates, the share of the power that is motion for ``spectrum``
ones, and 1 for a ``still`` clip. Optical flow was not chosen: it costs far more than decoding, and its magnitude
spectrum loses the fundamental of a rotation (the speed of a turning shape is constant).

Invariants (tested on encoded video): every other frame played at the same rate doubles ``f_hz``; a reversed clip
gives the same estimate (``d`` and the periodogram do not see the order); a still clip gives 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


BLOCK_SIDE = (
    4  # cells on the short side of the grey grid: a spatial low-pass that keeps every moving part's fundamental
)
PERIOD_THRESHOLD = 0.3  # YIN's dip threshold on the normalised difference
MIN_CLARITY = 0.5  # a dip must reach 1 - MIN_CLARITY for the clip to count as periodic
STILL_SHARE = 0.02  # motion power under this share of the noise floor's total: a still clip
STILL_GREY = 1.0  # no cell's brightness varying by this much (std, grey levels of 255): a still clip
CUTOFF_SHARE = 0.9
DIP_MARGIN = 0.4  # the first dip this close to the deepest one is the period


@dataclass(frozen=True)
class Bandwidth:
    """One video's estimate: ``f_hz`` (dominant motion frequency), ``cutoff_hz`` (90 % of the motion power below),
    ``confidence`` in [0, 1], ``method`` (``period``, ``spectrum`` or ``still``) and the frames it saw."""

    f_hz: float
    cutoff_hz: float
    confidence: float
    method: str
    frames: int


def grey_blocks(frames: np.ndarray, side: int = BLOCK_SIDE) -> np.ndarray:
    """``(T, H, W)`` grey or ``(T, 3, H, W)`` colour frames -> float32 ``(T, pixels)``: grey, averaged over square
    blocks so that the short side keeps about ``side`` pixels (noise averages out, motion does not)."""
    x = np.asarray(frames, dtype=np.float32)
    if x.ndim == 4:
        x = x.mean(axis=1)
    if x.ndim != 3:
        raise ValueError(f"frames must be (T, H, W) or (T, 3, H, W), got shape {np.shape(frames)}")
    block = max(1, min(x.shape[1:]) // side)
    h, w = x.shape[1] // block * block, x.shape[2] // block * block
    x = x[:, :h, :w].reshape(len(x), h // block, block, w // block, block).mean(axis=(2, 4))
    return x.reshape(len(x), -1)


def difference_function(signals: np.ndarray, max_lag: int) -> np.ndarray:
    """``d[i]`` for lags ``i / 2`` frames, ``0..max_lag``: the mean squared change of every signal between frames
    that far apart; a half-frame lag compares with the mean of the two frames around it (a period of 5.5 frames
    dips there, not half-way at 5 and 6)."""
    d = [0.0]
    for i in range(1, 2 * max_lag + 1):
        whole = i // 2
        later = signals[whole:] if i % 2 == 0 else 0.5 * (signals[whole:-1] + signals[whole + 1 :])
        d.append(float(np.mean((later - signals[: len(later)]) ** 2)))
    return np.array(d)


def _dip(normalised: np.ndarray, near: float) -> float:
    """The bottom of the dip of ``normalised`` at the index nearest ``near`` (to a fraction: a parabola through
    the lowest index within one of it and its two neighbours)."""
    lo, hi = max(1, int(np.floor(near)) - 1), min(len(normalised) - 1, int(np.ceil(near)) + 1)
    i = lo + int(np.argmin(normalised[lo : hi + 1]))
    if not 0 < i < len(normalised) - 1:
        return float(i)
    a, b, c = normalised[i - 1], normalised[i], normalised[i + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) > 0 else 0.0
    return i + float(np.clip(shift, -0.5, 0.5))


def period_of(d: np.ndarray) -> tuple[float, float] | None:
    """``(period in frames, clarity)`` from a half-frame difference function ``d`` (YIN's steps 3-5), or None
    when no dip is deep enough (``clarity < MIN_CLARITY``). The period is the first dip within ``DIP_MARGIN`` of
    the deepest (a later, deeper dip is a multiple of it), at least 2 frames, refined at the last of its multiples
    within reach: the error of one dip's position is divided by the number of periods it spans."""
    if len(d) < 6:
        return None
    index = np.arange(len(d))
    cumulative = np.cumsum(d[1:])
    normalised = np.ones_like(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised[1:] = np.where(cumulative > 0, d[1:] * index[1:] / cumulative, 1.0)
    first = 4  # a period of at least 2 frames: anything shorter is past the frame rate's own limit
    deepest = float(normalised[first:].min())
    if 1 - deepest < MIN_CLARITY:
        return None
    inner = (normalised[first:-1] <= normalised[first - 1 : -2]) & (normalised[first:-1] <= normalised[first + 1 :])
    dips = np.flatnonzero(inner & (normalised[first:-1] <= max(PERIOD_THRESHOLD, deepest + DIP_MARGIN))) + first
    i = int(dips[0]) if len(dips) else int(np.argmin(normalised[first:]) + first)
    clarity = float(1 - normalised[i])
    period = _dip(normalised, i)
    cycles = int((len(d) - 2) // period)
    if cycles > 1:
        period = _dip(normalised, cycles * period) / cycles
    return period / 2, clarity


def motion_spectrum(signals: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray, float]:
    """``(frequencies, motion power above the noise floor, floor)`` of the pooled, Hann-windowed periodogram."""
    window = np.hanning(len(signals))[:, None].astype(np.float32)
    power = np.mean(np.abs(np.fft.rfft(signals * window, axis=0)) ** 2, axis=1)
    freqs = np.fft.rfftfreq(len(signals), d=1.0 / fps)
    power, freqs = power[1:], freqs[1:]  # the mean of each pixel is not motion
    floor = float(np.median(power[len(power) // 2 :])) if len(power) else 0.0
    return freqs, np.maximum(power - floor, 0.0), floor


def estimate_bandwidth(frames: np.ndarray, fps: float) -> Bandwidth:
    """The temporal bandwidth of a clip's frames decoded at their native rate ``fps`` (see the module docstring)."""
    return bandwidth_of_signals(grey_blocks(frames), fps)


def bandwidth_of_signals(signals: np.ndarray, fps: float) -> Bandwidth:
    """:func:`estimate_bandwidth` of frames already turned into :func:`grey_blocks` ``(T, pixels)``."""
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps!r}")
    n = len(signals)
    if n < 4:
        return Bandwidth(0.0, 0.0, 0.0, "still", n)
    signals = signals - signals.mean(axis=0, keepdims=True)
    freqs, motion, floor = motion_spectrum(signals, fps)
    total = float(motion.sum())
    if signals.std(axis=0).max() < STILL_GREY or total <= STILL_SHARE * max(floor * len(motion), 1e-6):
        return Bandwidth(0.0, 0.0, 1.0, "still", n)
    cutoff = float(freqs[np.searchsorted(np.cumsum(motion), CUTOFF_SHARE * total)])
    found = period_of(difference_function(signals, n // 2))
    if found is not None:
        period, clarity = found
        return Bandwidth(fps / period, cutoff, clarity, "period", n)
    centroid = float((freqs * motion).sum() / total)
    share = total / (total + floor * len(motion))
    return Bandwidth(centroid, cutoff, share, "spectrum", n)
