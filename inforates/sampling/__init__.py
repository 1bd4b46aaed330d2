"""Temporal sampling: which frames of a video a model sees. Pure numpy, no model code.

:mod:`.samplers` (the sampler functions and their registry), :mod:`.variants` (grid cells, the per-video random
generator), :mod:`.facts` (what a clip shows; which cells alias one another), :mod:`.views` (a cell's temporal
views, for multi-view testing) and :mod:`.prefilter` (temporal anti-aliasing). See docs/sampling.md.

    >>> clip_indices(total_frames=50, coverage=25, stride=2, clip_len=8)
    array([ 0,  0,  2,  4,  6,  6,  8, 10])
    >>> clip_facts(SamplingVariant(coverage=50, stride=4).indices(100, 4), fps=25.0).span_frames
    49
"""

from .facts import ClipFacts, clip_facts, frames_text, same_frames_as, union_indices
from .prefilter import PREFILTERS, clip_spacing, prefilter_weights
from .samplers import (
    ANCHORS,
    SAMPLERS,
    SPACING_UNITS,
    Sampler,
    clip_indices,
    coverage_window,
    dense_indices,
    even_positions,
    frames_from_seconds,
    get_sampler,
    segment_indices,
    spacing_budget_indices,
)
from .variants import (
    DEFAULT_COVERAGES,
    DEFAULT_STRIDES,
    SamplingVariant,
    build_grid,
    check_grid,
    describe_designs,
    video_rng,
)
from .views import temporal_views, view_starts, window_frames


__all__ = [
    "ANCHORS", "DEFAULT_COVERAGES", "DEFAULT_STRIDES", "PREFILTERS", "SAMPLERS", "SPACING_UNITS", "ClipFacts", "Sampler",
    "SamplingVariant", "build_grid", "check_grid", "clip_facts", "clip_spacing", "describe_designs", "clip_indices", "coverage_window", "dense_indices",
    "even_positions", "frames_from_seconds", "frames_text", "get_sampler", "prefilter_weights", "same_frames_as", "segment_indices",
    "spacing_budget_indices", "temporal_views", "union_indices", "video_rng", "view_starts", "window_frames",
]  # fmt: skip
