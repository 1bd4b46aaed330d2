"""Temporal sampling: which frames of a video a model sees. Pure numpy, no model code.

A *variant* is (sampler, coverage %, stride, anchor). The default sampler, ``coverage_stride``, keeps a window
of ``coverage`` % of the video, takes every ``stride``-th frame of it and picks ``clip_len`` of those:

    >>> clip_indices(total_frames=50, coverage=25, stride=2, clip_len=8)
    array([ 0,  0,  2,  4,  6,  6,  8, 10])
    >>> v = SamplingVariant(coverage=50, stride=4)
    >>> v.name, v.indices(total_frames=100, clip_len=4).tolist()
    ('cov50_s4', [0, 16, 32, 48])
    >>> clip_facts(v.indices(100, 4), fps=25.0).span_frames
    49

See docs/sampling.md for the definitions and a worked example of each sampler.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np


ANCHORS = ("start", "center", "end", "random")
DEFAULT_COVERAGES = (10.0, 25.0, 50.0, 75.0, 100.0)
DEFAULT_STRIDES = (1, 2, 4, 8, 16)


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


def video_rng(seed: int, video_id: str) -> np.random.Generator:
    """The random generator of one video's clips wherever clips are drawn per video (a random anchor at evaluation
    or validation): seeded by ``(seed, crc32(video_id))``, so every process, every resumed run and every machine
    (the same video under another mount point) draws the same frames.

    >>> video_rng(0, "test/dot_cw/0001.mp4").integers(100) == video_rng(0, "test/dot_cw/0001.mp4").integers(100)
    True
    """
    return np.random.default_rng([int(seed), zlib.crc32(str(video_id).encode())])


def coverage_window(total_frames: int, coverage: float, anchor: str = "start", rng=None) -> tuple[int, int]:
    """Return ``(start, length)`` of the coverage window: ``length = max(1, floor(T * c / 100))`` frames."""
    length = max(1, math.floor(total_frames * coverage / 100 + 1e-9))
    last_start = total_frames - length
    if anchor == "start":
        start = 0
    elif anchor == "center":
        start = last_start // 2
    elif anchor == "end":
        start = last_start
    else:  # random
        start = int(rng.integers(0, last_start + 1))
    return start, length


def clip_indices(
    total_frames: int,
    coverage: float,
    stride: int,
    clip_len: int,
    anchor: str = "start",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The ``coverage_stride`` sampler: ``clip_len`` frame indices (int64, in temporal order).

    Candidates are every ``stride``-th frame of the coverage window. With at least ``clip_len`` candidates,
    ``clip_len`` of them are spread evenly (``floor(linspace(0, K - 1, clip_len))``); with fewer, every candidate
    is used, in order, each repeated evenly (``(arange(clip_len) * K) // clip_len``) -- never truncated.

    >>> clip_indices(10, 100, 4, 5)  # candidates 0, 4, 8 -> each used, repeated evenly
    array([0, 0, 4, 4, 8])
    """
    _check_args(total_frames, coverage, stride, clip_len, anchor, rng)
    start, length = coverage_window(int(total_frames), coverage, anchor, rng)
    candidates = start + np.arange(0, length, int(stride), dtype=np.int64)
    k = len(candidates)
    if k >= clip_len:
        positions = np.floor(np.linspace(0, k - 1, clip_len)).astype(np.int64) if clip_len > 1 else np.zeros(1, int)
    else:
        positions = (np.arange(clip_len, dtype=np.int64) * k) // clip_len
    return candidates[positions]


def dense_indices(
    total_frames: int,
    coverage: float,
    stride: int,
    clip_len: int,
    anchor: str = "start",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The ``dense`` sampler (MMAction2 ``SampleFrames``, test mode, ``out_of_bound_opt='repeat_last'``).

    ``clip_len`` frames every ``stride`` frames, the run centred in the coverage window (at a random offset in it
    with ``anchor='random'``); indices past the window repeat the last index inside it.

    >>> dense_indices(100, 50, 4, 4)  # window 0..49, span 13 frames, centred at offset 19
    array([19, 23, 27, 31])
    >>> dense_indices(10, 100, 4, 4)  # 12 would fall outside the window: repeat 8
    array([0, 4, 8, 8])
    """
    _check_args(total_frames, coverage, stride, clip_len, anchor, rng)
    start, length = coverage_window(int(total_frames), coverage, anchor, rng)
    span = (clip_len - 1) * int(stride) + 1
    if anchor == "random":
        offset = int(rng.integers(0, max(0, length - span) + 1))
    else:
        offset = max(0, (length - span + 1) // 2)
    relative = offset + np.arange(clip_len, dtype=np.int64) * int(stride)
    inside = relative < length
    relative = np.where(inside, relative, relative[inside].max())
    return start + relative


def segment_indices(
    total_frames: int,
    coverage: float,
    stride: int,
    clip_len: int,
    anchor: str = "start",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The ``segment`` sampler (TSN): ``clip_len`` equal segments of the coverage window, one frame from each.

    Deterministic anchors take each segment's centre frame; ``anchor='random'`` (training) takes a random frame
    within each segment. ``stride`` does not apply (segments set the spacing) and is only validated.

    >>> segment_indices(100, 100, 1, 4)  # segments of 25 frames, centres at 12.5, 37.5, ...
    array([12, 37, 62, 87])
    """
    _check_args(total_frames, coverage, stride, clip_len, anchor, rng)
    start, length = coverage_window(int(total_frames), coverage, anchor, rng)
    seg = length / clip_len
    if anchor == "random":
        offsets = np.arange(clip_len) * seg + rng.uniform(0, seg, size=clip_len)
    else:
        offsets = np.arange(clip_len) * seg + seg / 2
    relative = np.minimum(np.floor(offsets + 1e-9).astype(np.int64), length - 1)
    return start + relative


Sampler = Callable[..., np.ndarray]

SAMPLERS: dict[str, Sampler] = {
    "coverage_stride": clip_indices,
    "dense": dense_indices,
    "segment": segment_indices,
}


def get_sampler(name: str) -> Sampler:
    """Look a sampler up by name; unknown names raise ``ValueError`` listing the known ones."""
    try:
        return SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; known samplers: {', '.join(SAMPLERS)}") from None


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", "p")


@dataclass(frozen=True)
class SamplingVariant:
    """One cell of the sampling grid. ``name`` is stable and file-name safe (``cov25_s4``, ``dense_cov50_s2_center``)."""

    coverage: float = 100.0
    stride: int = 1
    sampler: str = "coverage_stride"
    anchor: str = "start"

    def __post_init__(self) -> None:
        get_sampler(self.sampler)
        _check_args(1, self.coverage, self.stride, 1, self.anchor, rng=np.random.default_rng(0))

    @property
    def name(self) -> str:
        parts = [] if self.sampler == "coverage_stride" else [self.sampler]
        parts += [f"cov{_format_number(self.coverage)}", f"s{self.stride}"]
        if self.anchor != "start":
            parts.append(self.anchor)
        return "_".join(parts)

    def indices(self, total_frames: int, clip_len: int, rng: np.random.Generator | None = None) -> np.ndarray:
        return get_sampler(self.sampler)(total_frames, self.coverage, self.stride, clip_len, self.anchor, rng)


def build_grid(
    coverages: Iterable[float] = DEFAULT_COVERAGES,
    strides: Iterable[int] = DEFAULT_STRIDES,
    sampler: str = "coverage_stride",
    anchor: str = "start",
) -> list[SamplingVariant]:
    """All (coverage, stride) variants, coverage-major; duplicates removed, order kept.

    >>> [v.name for v in build_grid([25, 100], [1, 4])]
    ['cov25_s1', 'cov25_s4', 'cov100_s1', 'cov100_s4']
    """
    coverages, strides = list(coverages), list(strides)
    if not coverages or not strides:
        raise ValueError(f"the sampling grid is empty (coverages={coverages}, strides={strides})")
    grid = [SamplingVariant(float(c), int(s), sampler, anchor) for c in coverages for s in strides]
    return list(dict.fromkeys(grid))


@dataclass(frozen=True)
class ClipFacts:
    """What a clip shows: distinct frames, frames spanned (first to last, inclusive), and in seconds."""

    distinct_frames: int
    span_frames: int
    span_seconds: float
    median_spacing: float  # median gap between consecutive distinct frames (nan with one distinct frame)


def clip_facts(indices: Sequence[int] | np.ndarray, fps: float | None = None) -> ClipFacts:
    """Facts about sampled ``indices``; ``span_seconds`` is ``span_frames / fps`` (nan without fps).

    >>> clip_facts([0, 0, 4, 4, 8], fps=25.0)
    ClipFacts(distinct_frames=3, span_frames=9, span_seconds=0.36, median_spacing=4.0)
    """
    distinct = np.unique(np.asarray(indices, dtype=np.int64))
    if distinct.size == 0:
        raise ValueError("clip_facts needs at least one index")
    span = int(distinct[-1] - distinct[0] + 1)
    spacing = float(np.median(np.diff(distinct))) if distinct.size > 1 else math.nan
    seconds = span / fps if fps else math.nan
    return ClipFacts(int(distinct.size), span, seconds, spacing)


def union_indices(index_sets: Iterable[np.ndarray]) -> np.ndarray:
    """Sorted unique frames needed by several clips of one video: decode these once, gather each clip from them."""
    arrays = [np.asarray(a, dtype=np.int64) for a in index_sets]
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.int64)
