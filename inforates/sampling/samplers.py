"""The samplers: which frame indices of a video a clip takes. Pure numpy.

Each sampler is a function and one :data:`SAMPLERS` entry. Those on the coverage x stride axes take
``(total_frames, coverage, stride, clip_len, anchor, rng)`` (:func:`coverage_sampler` checks the arguments and
finds the coverage window; each places its frames in it); ``spacing_budget`` takes ``(total_frames, spacing,
budget, clip_len, anchor, rng, fit)``. Strides and spacings here are whole frames (a variant in seconds converts
per video first, :func:`frames_from_seconds`).

    >>> clip_indices(total_frames=50, coverage=25, stride=2, clip_len=8)
    array([ 0,  0,  2,  4,  6,  6,  8, 10])
    >>> spacing_budget_indices(total_frames=175, spacing=4, budget=8, clip_len=16).tolist()
    [73, 73, 77, 77, 81, 81, 85, 85, 89, 89, 93, 93, 97, 97, 101, 101]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


ANCHORS = ("start", "center", "end", "random")
SPACING_UNITS = ("frames", "seconds")


def _check_args(total_frames, coverage, stride, clip_len, anchor, rng) -> None:
    if isinstance(total_frames, bool) or int(total_frames) != total_frames or total_frames < 1:
        raise ValueError(f"total_frames must be an integer >= 1, got {total_frames!r}")
    if not (isinstance(coverage, (int, float, np.integer, np.floating)) and 0 < coverage <= 100):
        raise ValueError(f"coverage must be in (0, 100] percent, got {coverage!r}")
    if isinstance(stride, bool) or int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
    if isinstance(clip_len, bool) or int(clip_len) != clip_len or clip_len < 1:
        raise ValueError(f"clip_len must be an integer >= 1, got {clip_len!r}")
    if anchor not in ANCHORS:
        raise ValueError(f"anchor must be one of {ANCHORS}, got {anchor!r}")
    if anchor == "random" and rng is None:
        raise ValueError("anchor='random' needs rng (a numpy Generator) so that training clips are reproducible")


def even_positions(count: int, clip_len: int) -> np.ndarray:
    """Positions of ``clip_len`` picks among ``count`` items, in integer arithmetic (exact for every length).

    ``count >= clip_len``: spread evenly, first and last included (``floor(i * (count - 1) / (clip_len - 1))``);
    fewer: every item used, in order, each repeated evenly (``floor(i * count / clip_len)``), never truncated.

    >>> even_positions(31, 23)[11], even_positions(3, 8).tolist()
    (np.int64(15), [0, 0, 0, 1, 1, 1, 2, 2])
    """
    i = np.arange(clip_len, dtype=np.int64)
    if count >= clip_len:
        return (i * (count - 1)) // (clip_len - 1) if clip_len > 1 else np.zeros(1, np.int64)
    return (i * count) // clip_len


def frames_from_seconds(seconds: float, fps: float) -> int:
    """A spacing in seconds as whole frames of one video: the nearest frame, which must be at least 1 (a spacing
    under half a frame is an error, not silently one frame).

    >>> frames_from_seconds(0.16, 25.0), frames_from_seconds(0.03, 25.0)
    (4, 1)
    """
    if fps is None or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"a spacing in seconds needs the video's frame rate, got fps={fps!r}")
    frames = math.floor(seconds * fps + 0.5)
    if frames < 1:
        raise ValueError(f"a spacing of {seconds:g} s is {seconds * fps:.2f} frames at {fps:g} fps, under 1 frame "
                         "once rounded; use a spacing of at least half a frame")  # fmt: skip
    return frames


def coverage_window(total_frames: int, coverage: float, anchor: str = "start", rng=None) -> tuple[int, int]:
    """Return ``(start, length)`` of the coverage window: ``length = max(1, floor(T * c / 100))`` frames."""
    length = max(1, math.floor(total_frames * coverage / 100 + 1e-9))
    return _place(total_frames - length, anchor, rng), length


def coverage_sampler(place: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """A sampler on the coverage x stride axes, called ``(total_frames, coverage, stride, clip_len, anchor="start",
    rng=None)``, from ``place(start, length, stride, clip_len, anchor, rng)``, which puts the clip's frames inside the
    coverage window ``[start, start + length)`` once the arguments are checked (:func:`coverage_window`). Keywords
    beyond those (``motion=``) go to ``place``."""

    def sampler(
        total_frames: int,
        coverage: float,
        stride: int,
        clip_len: int,
        anchor: str = "start",
        rng: np.random.Generator | None = None,
        **content,
    ) -> np.ndarray:
        _check_args(total_frames, coverage, stride, clip_len, anchor, rng)
        start, length = coverage_window(int(total_frames), coverage, anchor, rng)
        return place(start, length, int(stride), int(clip_len), anchor, rng, **content)

    functools.update_wrapper(sampler, place)
    del sampler.__wrapped__  # its signature is the sampler's, not place's
    return sampler


def _place(last_start: int, anchor: str, rng) -> int:
    """Where a run of frames starts, given the last start that keeps it inside the video."""
    if anchor == "start":
        return 0
    if anchor == "center":
        return last_start // 2
    if anchor == "end":
        return last_start
    return int(rng.integers(0, last_start + 1))  # random


@coverage_sampler
def clip_indices(start: int, length: int, stride: int, clip_len: int, anchor: str, rng) -> np.ndarray:
    """The ``coverage_stride`` sampler: ``clip_len`` frame indices (int64, in temporal order).

    Candidates are every ``stride``-th frame of the coverage window. With at least ``clip_len`` candidates,
    ``clip_len`` of them are spread evenly; with fewer, every candidate is used, in order, each repeated evenly --
    never truncated (:func:`even_positions`).

    >>> clip_indices(10, 100, 4, 5)  # candidates 0, 4, 8 -> each used, repeated evenly
    array([0, 0, 4, 4, 8])
    """
    candidates = start + np.arange(0, length, stride, dtype=np.int64)
    return candidates[even_positions(len(candidates), clip_len)]


@coverage_sampler
def dense_indices(start: int, length: int, stride: int, clip_len: int, anchor: str, rng) -> np.ndarray:
    """The ``dense`` sampler (MMAction2 ``SampleFrames``, test mode, ``out_of_bound_opt='repeat_last'``).

    ``clip_len`` frames every ``stride`` frames, the run centred in the coverage window (at a random offset in it
    with ``anchor='random'``); indices past the window repeat the last index inside it.

    >>> dense_indices(100, 50, 4, 4)  # window 0..49, span 13 frames, centred at offset 19
    array([19, 23, 27, 31])
    >>> dense_indices(10, 100, 4, 4)  # 12 would fall outside the window: repeat 8
    array([0, 4, 8, 8])
    """
    span = (clip_len - 1) * stride + 1
    if anchor == "random":
        offset = int(rng.integers(0, max(0, length - span) + 1))
    else:
        offset = max(0, (length - span + 1) // 2)
    relative = offset + np.arange(clip_len, dtype=np.int64) * stride
    inside = relative < length
    relative = np.where(inside, relative, relative[inside].max())
    return start + relative


@coverage_sampler
def segment_indices(start: int, length: int, stride: int, clip_len: int, anchor: str, rng) -> np.ndarray:
    """The ``segment`` sampler (TSN): ``clip_len`` equal segments of the coverage window, one frame from each.

    Deterministic anchors take each segment's centre frame; ``anchor='random'`` (training) takes a random frame
    within each segment. ``stride`` does not apply (segments set the spacing) and is only validated.

    >>> segment_indices(100, 100, 1, 4)  # segments of 25 frames, centres at 12.5, 37.5, ...
    array([12, 37, 62, 87])
    """
    if anchor == "random":
        seg = length / clip_len
        offsets = np.arange(clip_len) * seg + rng.uniform(0, seg, size=clip_len)
        relative = np.minimum(np.floor(offsets).astype(np.int64), length - 1)
    else:  # floor((i + 1/2) * L / N), in integers
        relative = ((2 * np.arange(clip_len, dtype=np.int64) + 1) * length) // (2 * clip_len)
    return start + relative


def spacing_budget_indices(
    total_frames: int,
    spacing: int,
    budget: int,
    clip_len: int,
    anchor: str = "center",
    rng: np.random.Generator | None = None,
    fit: bool = False,
) -> np.ndarray | None:
    """The ``spacing_budget`` sampler: ``budget`` distinct frames exactly ``spacing`` apart, spread evenly over
    ``clip_len`` (each repeated evenly, never truncated). The run spans ``(budget - 1) * spacing + 1`` frames,
    placed by ``anchor`` (``center`` by default; ``random`` when training).

    A video shorter than the span gives ``None`` (left out of the cell, never padded behind the user's back);
    ``fit=True`` (training) instead takes the largest spacing that fits, and fewer frames when not even
    spacing 1 does.

    >>> spacing_budget_indices(20, 4, 3, 6, anchor="start").tolist()
    [0, 0, 4, 4, 8, 8]
    >>> spacing_budget_indices(20, 8, 4, 4) is None  # 25 frames needed
    True
    >>> spacing_budget_indices(20, 8, 4, 4, anchor="start", fit=True).tolist()  # spacing 6 fits
    [0, 6, 12, 18]
    """
    _check_args(total_frames, 100.0, spacing, clip_len, anchor, rng)
    if isinstance(budget, bool) or int(budget) != budget or not 1 <= budget <= clip_len:
        raise ValueError(f"budget must be an integer in [1, clip_len={clip_len}], got {budget!r}")
    spacing, budget, total_frames = int(spacing), int(budget), int(total_frames)
    if (budget - 1) * spacing + 1 > total_frames:
        if not fit:
            return None
        budget = min(budget, total_frames)
        spacing = max(1, (total_frames - 1) // (budget - 1)) if budget > 1 else 1
    span = (budget - 1) * spacing + 1
    frames = _place(total_frames - span, anchor, rng) + spacing * np.arange(budget, dtype=np.int64)
    return frames[even_positions(budget, int(clip_len))]


@coverage_sampler
def motion_uniform_indices(
    start: int, length: int, stride: int, clip_len: int, anchor: str, rng, motion: np.ndarray | None = None
) -> np.ndarray:
    """The ``motion_uniform`` sampler (MGSampler): in the coverage window, ``clip_len`` of its every ``stride``-th
    frames at equal steps of the video's cumulative motion (``motion``: each frame of the video's motion energy,
    :func:`~inforates.sampling.motion.motion_positions`); deterministic per video. Without ``motion`` (a probe, no
    video) the steps are of time.

    >>> motion_uniform_indices(100, 100, 1, 4, motion=np.r_[np.zeros(50), np.ones(50)]).tolist()
    [56, 68, 81, 93]
    """
    from .motion import motion_positions

    if motion is None:
        motion = np.zeros(start + length)
    elif len(motion) < start + length:
        raise ValueError(f"motion has {len(motion)} frames, the window ends at frame {start + length}")
    return motion_positions(motion, start, length, stride, clip_len)


@dataclass(frozen=True)
class Sampler:
    """A registered sampler: its function, whether its variants have a ``budget`` (the spacing x budget axes)
    instead of a coverage, the anchor its evaluation variants use unless the recipe names one, and whether it reads
    the video's per-frame motion (``needs_motion``: its function takes ``motion=``)."""

    function: Callable[..., np.ndarray | None]
    takes_budget: bool = False
    default_anchor: str = "start"
    needs_motion: bool = False

    @property
    def axes(self) -> tuple[str, str]:
        """The result-table columns of its grid, as (rows, columns) of a table: ``("stride", "budget")``
        (spacing x budget) or ``("coverage", "stride")`` (coverage x stride)."""
        return ("stride", "budget") if self.takes_budget else ("coverage", "stride")

    @property
    def step_name(self) -> str:
        """What its ``stride`` axis is called: ``spacing`` (between the distinct frames) or ``stride``."""
        return "spacing" if self.takes_budget else "stride"


SAMPLERS: dict[str, Sampler] = {
    "coverage_stride": Sampler(clip_indices),
    "dense": Sampler(dense_indices),
    "segment": Sampler(segment_indices),
    "spacing_budget": Sampler(spacing_budget_indices, takes_budget=True, default_anchor="center"),
    "motion_uniform": Sampler(motion_uniform_indices, needs_motion=True),
}


def get_sampler(name: str) -> Sampler:
    """Look a sampler up by name; unknown names raise ``ValueError`` listing the known ones."""
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; known samplers: {', '.join(SAMPLERS)}") from None
