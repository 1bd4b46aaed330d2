"""Sampling variants (the cells of a grid) and the per-video random generator.

A variant is a sampler with its two axes: coverage % x stride (``coverage_stride``, ``dense``, ``segment``) or
spacing x budget (``spacing_budget``), an anchor, and the unit its stride/spacing is given in (``frames``, or
``seconds``: converted per video from its frame rate, to the nearest frame, at least 1).

    >>> v = SamplingVariant(coverage=50, stride=4)
    >>> v.name, v.indices(total_frames=100, clip_len=4).tolist()
    ('cov50_s4', [0, 16, 32, 48])
    >>> exact = SamplingVariant(stride=0.16, sampler="spacing_budget", budget=8, spacing_unit="seconds")
    >>> exact.name, exact.indices(175, 16, fps=25.0)[:4].tolist()
    ('d0p16s_k8', [73, 73, 77, 77])
    >>> SamplingVariant(coverage=50, stride=4, prefilter="box").name   # each frame the mean of its spacing window
    'cov50_s4_box'
    >>> SamplingVariant(coverage=50, stride=4, resolution=16).name      # frames at 16 x 16 px, resized back
    'cov50_s4_r16'
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .prefilter import PREFILTERS, prefilter_weights
from .samplers import ANCHORS, SPACING_UNITS, _check_args, frames_from_seconds, get_sampler


DEFAULT_COVERAGES = (10.0, 25.0, 50.0, 75.0, 100.0)
DEFAULT_STRIDES = (1, 2, 4, 8, 16)


def video_rng(seed: int, video_id: str) -> np.random.Generator:
    """The random generator of one video's clips wherever clips are drawn per video (a random anchor at evaluation
    or validation): seeded by ``(seed, crc32(video_id))``, so every process, every resumed run and every machine
    (the same video under another mount point) draws the same frames.

    >>> int(video_rng(0, "test/dot_cw/0001.mp4").integers(100)) == int(video_rng(0, "test/dot_cw/0001.mp4").integers(100))
    True
    """
    return np.random.default_rng([int(seed), zlib.crc32(str(video_id).encode())])


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", "p")


@dataclass(frozen=True)
class SamplingVariant:
    """One cell of a sampling grid. ``name`` is stable and file-name safe: ``cov25_s4``, ``dense_cov50_s2_center``,
    ``cov100_s0p16s`` (stride in seconds), ``d4_k8`` (spacing_budget: spacing 4 frames, budget 8).

    ``stride`` is the spacing of ``spacing_budget`` (its column in result tables too); ``coverage`` does not apply
    to it (kept at 100). ``anchor=None`` takes the sampler's default (``start``; ``center`` for spacing_budget).
    ``prefilter`` (``none``, ``box``, ``triangle``: :mod:`.prefilter`) averages the frames of each sample's
    spacing window into it; a filtered cell's name ends in ``_box`` / ``_triangle``.
    """

    coverage: float = 100.0
    stride: float = 1
    sampler: str = "coverage_stride"
    anchor: str | None = None
    budget: int | None = None
    spacing_unit: str = "frames"
    prefilter: str = "none"
    resolution: int | None = None

    def __post_init__(self) -> None:
        info = get_sampler(self.sampler)
        if self.prefilter not in PREFILTERS:
            raise ValueError(f"prefilter must be one of {', '.join(PREFILTERS)}, got {self.prefilter!r}")
        if self.resolution is not None:
            if isinstance(self.resolution, bool) or int(self.resolution) != self.resolution or self.resolution < 1:
                raise ValueError(f"resolution must be a whole number of pixels >= 1, got {self.resolution!r}")
            object.__setattr__(self, "resolution", int(self.resolution))
        if self.anchor is None:
            object.__setattr__(self, "anchor", info.default_anchor)
        if self.anchor not in ANCHORS:
            raise ValueError(f"anchor must be one of {ANCHORS}, got {self.anchor!r}")
        if self.spacing_unit not in SPACING_UNITS:
            raise ValueError(f"spacing_unit must be one of {SPACING_UNITS}, got {self.spacing_unit!r}")
        if self.spacing_unit == "seconds":
            if isinstance(self.stride, bool) or not float(self.stride) > 0:
                raise ValueError(f"a spacing in seconds must be > 0, got {self.stride!r}")
        else:
            _check_args(1, self.coverage, self.stride, 1, "start", None)
            object.__setattr__(self, "stride", int(self.stride))
        if not 0 < float(self.coverage) <= 100:
            raise ValueError(f"coverage must be in (0, 100] percent, got {self.coverage!r}")
        if info.takes_budget:
            if (
                isinstance(self.budget, bool)
                or self.budget is None
                or int(self.budget) != self.budget
                or self.budget < 1
            ):
                raise ValueError(f"sampler {self.sampler} needs a budget (an integer >= 1), got {self.budget!r}")
            object.__setattr__(self, "budget", int(self.budget))
            object.__setattr__(self, "coverage", 100.0)
        elif self.budget is not None:
            raise ValueError(f"sampler {self.sampler} has no budget (only spacing_budget does), got {self.budget!r}")

    @property
    def name(self) -> str:
        step = _format_number(self.stride) + ("s" if self.spacing_unit == "seconds" else "")
        if self.budget is not None:
            parts = [f"d{step}", f"k{self.budget}"]
        else:
            parts = [] if self.sampler == "coverage_stride" else [self.sampler]
            parts += [f"cov{_format_number(self.coverage)}", f"s{step}"]
        if self.anchor != get_sampler(self.sampler).default_anchor:
            parts.append(self.anchor)
        if self.prefilter != "none":
            parts.append(self.prefilter)
        if self.resolution is not None:
            parts.append(f"r{self.resolution}")
        return "_".join(parts)

    def stride_frames(self, fps: float | None = None) -> int:
        """The stride (spacing) in whole frames of a video at ``fps`` (needed when the unit is seconds)."""
        return frames_from_seconds(float(self.stride), fps) if self.spacing_unit == "seconds" else int(self.stride)

    def check(self, clip_len: int) -> None:
        """Raise ``ValueError`` if no video could give this variant a clip of ``clip_len`` frames."""
        if self.budget is not None and self.budget > clip_len:
            raise ValueError(f"{self.name}: budget {self.budget} is more frames than the model takes (clip_len "
                             f"{clip_len}); use budgets <= {clip_len}")  # fmt: skip

    def indices(
        self,
        total_frames: int,
        clip_len: int,
        rng: np.random.Generator | None = None,
        fps: float | None = None,
        fit: bool = False,
        motion: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """``clip_len`` frame indices of a video of ``total_frames`` frames at ``fps``, or ``None`` when the video
        is too short for the cell (spacing_budget without ``fit``). ``motion``: the video's per-frame motion
        energy, which a motion-guided sampler reads (:attr:`needs_motion`)."""
        info, stride = get_sampler(self.sampler), self.stride_frames(fps)
        if info.takes_budget:
            return info.function(total_frames, stride, self.budget, clip_len, self.anchor, rng, fit=fit)
        if info.needs_motion:
            return info.function(total_frames, self.coverage, stride, clip_len, self.anchor, rng, motion=motion)
        return info.function(total_frames, self.coverage, stride, clip_len, self.anchor, rng)

    @property
    def needs_motion(self) -> bool:
        """Whether its frames depend on the video's motion (``motion_uniform``)."""
        return get_sampler(self.sampler).needs_motion

    def frame_weights(self, indices, total_frames: int) -> tuple[np.ndarray, np.ndarray]:
        """The frames to decode for the clip at ``indices`` and the weights that make its frames from them
        (:func:`~inforates.sampling.prefilter.prefilter_weights` with this cell's ``prefilter``)."""
        return prefilter_weights(indices, total_frames, self.prefilter)


def build_grid(
    coverages: Iterable[float] = DEFAULT_COVERAGES,
    strides: Iterable[float] = DEFAULT_STRIDES,
    sampler: str = "coverage_stride",
    anchor: str | None = None,
    budgets: Iterable[int] | None = None,
    spacing_unit: str = "frames",
) -> list[SamplingVariant]:
    """A sampler's grid: coverage-major (coverage x stride), or budget-major (budget x spacing, the spacings
    passed as ``strides``) for ``spacing_budget``; duplicates removed, order kept.

    >>> [v.name for v in build_grid([25, 100], [1, 4])]
    ['cov25_s1', 'cov25_s4', 'cov100_s1', 'cov100_s4']
    >>> [v.name for v in build_grid(strides=[1, 4], sampler="spacing_budget", budgets=[4, 8])]
    ['d1_k4', 'd4_k4', 'd1_k8', 'd4_k8']
    """
    strides = list(strides)
    if get_sampler(sampler).takes_budget:
        budgets = list(budgets or [])
        if not budgets or not strides:
            raise ValueError(f"the sampling grid is empty (spacings={strides}, budgets={budgets})")
        cells = [(100.0, s, int(k)) for k in budgets for s in strides]
    else:
        coverages = list(coverages)
        if not coverages or not strides:
            raise ValueError(f"the sampling grid is empty (coverages={coverages}, strides={strides})")
        cells = [(float(c), s, None) for c in coverages for s in strides]
    grid = [SamplingVariant(c, s, sampler, anchor, k, spacing_unit) for c, s, k in cells]
    return list(dict.fromkeys(grid))


def describe_designs(variants: Iterable[SamplingVariant]) -> list[str]:
    """One line per design (sampler, anchor, unit) of ``variants``, naming its axes' values as it ran them.

    >>> exact = build_grid(strides=[1, 2], sampler="spacing_budget", budgets=[8])
    >>> for line in describe_designs(build_grid([25, 100], [1, 4]) + exact):
    ...     print(line)
    coverage_stride: coverage 25, 100 % x stride 1, 4 frames, window anchored at start
    spacing_budget: spacing 1, 2 frames x budget 8 distinct frames, window anchored at center
    """
    designs: dict[tuple, list[SamplingVariant]] = {}
    for variant in variants:
        designs.setdefault((variant.sampler, variant.anchor, variant.spacing_unit), []).append(variant)
    lines = []
    for (sampler, anchor, unit), cells in designs.items():
        steps = ", ".join(dict.fromkeys(_format_number(v.stride).replace("p", ".") for v in cells))
        step = f"{get_sampler(sampler).step_name} {steps} {'s' if unit == 'seconds' else 'frames'}"
        if get_sampler(sampler).takes_budget:
            budgets = ", ".join(dict.fromkeys(str(v.budget) for v in cells))
            axes = f"{step} x budget {budgets} distinct frames"
        else:
            coverages = ", ".join(dict.fromkeys(_format_number(v.coverage).replace("p", ".") for v in cells))
            axes = f"coverage {coverages} % x {step}"
        lines.append(f"{sampler}: {axes}, window anchored at {anchor}")
    return lines


# Video lengths (frames) and frame rates a grid is checked on before any decoding: the study's 50-frame segments,
# the earlier demo's 48 frames, a typical UCF-101 video (175), short and long ones.
PROBE_LENGTHS = (16, 32, 48, 50, 64, 100, 175, 300, 1000)
PROBE_FPS = (25.0, 30.0)


def check_grid(variants: list[SamplingVariant], clip_len: int, seed: int = 0) -> list[tuple[str, str]]:
    """Check a grid for a model of ``clip_len`` frames before any decoding. Raises ``ValueError`` for a cell no
    video could fill (a budget above ``clip_len``) and for a grid of several cells that all give the same frames
    on every probe length (:data:`PROBE_LENGTHS` x :data:`PROBE_FPS`). Returns the pairs ``(cell, earlier cell)``
    that alias on every probe (e.g. ``segment`` cells differing only by stride), for the caller to warn about.

    >>> check_grid(build_grid([100], [1, 2], sampler="segment"), 8)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: every cell of the sampling grid (segment_cov100_s1, segment_cov100_s2) gives the same frames...
    """
    for variant in variants:
        variant.check(clip_len)
    first: dict[tuple, str] = {}
    aliases = []
    for variant in variants:
        key = []
        for length in PROBE_LENGTHS:
            for fps in PROBE_FPS:
                indices = variant.indices(length, clip_len, rng=video_rng(seed, f"probe-{length}"), fps=fps)
                key.append(None if indices is None else tuple(indices.tolist()))
        key = (variant.prefilter, variant.resolution, *key)  # the same frames, filtered or resized, are another cell
        if key in first:
            aliases.append((variant.name, first[key]))
        else:
            first[key] = variant.name
    if len(variants) > 1 and len(first) == 1:
        names = ", ".join(v.name for v in variants)
        raise ValueError(
            f"every cell of the sampling grid ({names}) gives the same frames on videos of {PROBE_LENGTHS[0]}-"
            f"{PROBE_LENGTHS[-1]} frames: the grid measures nothing; vary the axes its sampler uses (docs/sampling.md)"
        )
    return aliases
