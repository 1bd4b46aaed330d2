"""The sampling contract: worked examples, the 2025 flaw, and properties that must hold for every input."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inforates.sampling import (
    ANCHORS,
    SAMPLERS,
    SamplingVariant,
    build_grid,
    clip_facts,
    clip_indices,
    coverage_window,
    dense_indices,
    get_sampler,
    segment_indices,
    union_indices,
)


def study_2025_indices(total_frames, coverage, stride, clip_len):
    """The 2025 study's sampler, as described in shared/reference/README.md (repeat, then truncate)."""
    frames = list(range(max(1, int(total_frames * coverage / 100))))[::stride]
    if len(frames) >= clip_len:
        return [frames[i] for i in np.linspace(0, len(frames) - 1, clip_len).astype(int)]
    repeated = [f for f in frames for _ in range(clip_len // len(frames) + 1)]
    return repeated[:clip_len]


# ---- worked examples (computed by hand from the definition) ----


@pytest.mark.parametrize(
    "args, expected",
    [
        ((50, 100, 1, 8), [0, 7, 14, 21, 28, 35, 42, 49]),  # K=50: floor(linspace(0, 49, 8))
        ((50, 25, 2, 8), [0, 0, 2, 4, 6, 6, 8, 10]),  # L=12, K=6 < 8: (arange(8)*6)//8 = 0,0,1,2,3,3,4,5
        ((50, 100, 8, 8), [0, 0, 8, 16, 24, 32, 40, 48]),  # K=7: positions (arange(8)*7)//8 = 0,0,1,...,6
        ((50, 10, 1, 8), [0, 0, 1, 1, 2, 3, 3, 4]),  # L=5, K=5: (arange(8)*5)//8
        ((10, 100, 4, 5), [0, 0, 4, 4, 8]),  # K=3: positions 0,0,1,1,2
        ((1, 10, 16, 4), [0, 0, 0, 0]),  # a single frame: L = max(1, 0) = 1
        ((100, 50, 4, 4), [0, 16, 32, 48]),  # K=13: floor(linspace(0, 12, 4)) = 0,4,8,12
        ((7, 100, 1, 1), [0]),  # clip_len 1 takes position 0
    ],
)
def test_worked_examples(args, expected):
    out = clip_indices(*args)
    assert out.dtype == np.int64
    assert out.tolist() == expected


def test_the_2025_flaw_is_not_repeated():
    # 100 % coverage, stride 8, TimeSformer's 8 frames on a 50-frame UCF-101 clip: candidates 0..48 (K=7).
    old = study_2025_indices(50, 100, 8, 8)
    new = clip_indices(50, 100, 8, 8).tolist()
    assert old == [0, 0, 8, 8, 16, 16, 24, 24]  # saw only the first half of the clip
    assert new == [0, 0, 8, 16, 24, 32, 40, 48]  # every candidate, in order
    assert set(new) == set(range(0, 50, 8))


def test_anchors_place_the_window():
    assert coverage_window(100, 25, "start") == (0, 25)
    assert coverage_window(100, 25, "center") == (37, 25)
    assert coverage_window(100, 25, "end") == (75, 25)
    assert clip_indices(100, 25, 1, 2, anchor="end").tolist() == [75, 99]
    assert clip_indices(100, 25, 1, 2, anchor="center").tolist() == [37, 61]


def test_random_anchor_is_reproducible_and_covers_all_starts():
    starts = {clip_indices(20, 50, 1, 2, "random", np.random.default_rng(s))[0] for s in range(200)}
    assert starts == set(range(0, 11))
    a = clip_indices(300, 25, 2, 8, "random", np.random.default_rng(7))
    b = clip_indices(300, 25, 2, 8, "random", np.random.default_rng(7))
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(total_frames=0, coverage=50, stride=1, clip_len=8), "total_frames"),
        (dict(total_frames=10, coverage=0, stride=1, clip_len=8), "coverage"),
        (dict(total_frames=10, coverage=100.5, stride=1, clip_len=8), "coverage"),
        (dict(total_frames=10, coverage=50, stride=0, clip_len=8), "stride"),
        (dict(total_frames=10, coverage=50, stride=1.5, clip_len=8), "stride"),
        (dict(total_frames=10, coverage=50, stride=1, clip_len=0), "clip_len"),
        (dict(total_frames=10, coverage=50, stride=1, clip_len=8, anchor="middle"), "anchor"),
        (dict(total_frames=10, coverage=50, stride=1, clip_len=8, anchor="random"), "rng"),
    ],
)
def test_bad_arguments_raise_with_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clip_indices(**kwargs)


def test_dense_sampler_matches_mmaction2_test_mode():
    # window 0..49 (L=50), span (4-1)*4+1 = 13, offset int((50-13+1)/2) = 19
    assert dense_indices(100, 50, 4, 4).tolist() == [19, 23, 27, 31]
    assert dense_indices(10, 100, 4, 4).tolist() == [0, 4, 8, 8]  # 12 is out of range: repeat the last
    assert dense_indices(3, 100, 1, 5).tolist() == [0, 1, 2, 2, 2]


def test_segment_sampler_takes_segment_centres_and_jitters_when_training():
    assert segment_indices(100, 100, 1, 4).tolist() == [12, 37, 62, 87]
    assert segment_indices(100, 40, 1, 4).tolist() == [5, 15, 25, 35]
    rng = np.random.default_rng(0)
    for _ in range(50):
        out = segment_indices(100, 100, 1, 4, "random", rng)
        assert [int(i // 25) for i in out] == [0, 1, 2, 3]  # one frame from each segment


def test_registry_and_variant_names():
    assert set(SAMPLERS) == {"coverage_stride", "dense", "segment"}
    assert get_sampler("dense") is dense_indices
    with pytest.raises(ValueError, match="known samplers"):
        get_sampler("uniform")
    assert SamplingVariant(25, 4).name == "cov25_s4"
    assert SamplingVariant(12.5, 2, "dense", "center").name == "dense_cov12p5_s2_center"
    with pytest.raises(ValueError):
        SamplingVariant(0, 1)


def test_default_grid_has_25_variants_in_order():
    grid = build_grid()
    assert len(grid) == 25
    assert grid[0].name == "cov10_s1" and grid[-1].name == "cov100_s16"
    assert len({v.name for v in grid}) == 25
    with pytest.raises(ValueError, match="empty"):
        build_grid([], [1])


def test_clip_facts():
    facts = clip_facts([0, 0, 4, 4, 8], fps=25.0)
    assert (facts.distinct_frames, facts.span_frames, facts.median_spacing) == (3, 9, 4.0)
    assert facts.span_seconds == pytest.approx(0.36)
    single = clip_facts([3, 3, 3])
    assert single.distinct_frames == 1 and math.isnan(single.median_spacing) and math.isnan(single.span_seconds)


def test_union_indices():
    assert union_indices([np.array([5, 1, 1]), np.array([2, 5])]).tolist() == [1, 2, 5]


def test_sampling_module_imports_no_model_code():
    tree = ast.parse(Path(__file__).resolve().parents[1].joinpath("inforates/sampling.py").read_text())
    imported = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"torch", "transformers", "torchcodec", "datasets"}


# ---- properties ----

frames_st = st.integers(1, 2000)
coverage_st = st.one_of(st.sampled_from([10, 25, 50, 75, 100]), st.floats(0.01, 100, allow_nan=False))
stride_st = st.integers(1, 64)
clip_len_st = st.integers(1, 64)
anchor_st = st.sampled_from(["start", "center", "end", "random"])


@settings(max_examples=400, deadline=None)
@given(frames_st, coverage_st, stride_st, clip_len_st, anchor_st, st.integers(0, 2**32 - 1))
def test_coverage_stride_properties(total, coverage, stride, clip_len, anchor, seed):
    rng = np.random.default_rng(seed)
    out = clip_indices(total, coverage, stride, clip_len, anchor, rng)
    start, length = coverage_window(total, coverage, anchor, np.random.default_rng(seed))
    candidates = np.arange(start, start + length, stride)
    assert out.shape == (clip_len,) and out.dtype == np.int64
    assert 0 <= start and start + length <= total
    assert np.all(np.diff(out) >= 0)  # temporal order
    assert set(out.tolist()) <= set(candidates.tolist())  # only window frames on the stride grid
    assert out[0] == candidates[0]
    if len(candidates) <= clip_len:
        # padding never drops a frame: every candidate appears, each between floor and ceil(clip_len / K) times
        counts = np.unique(out, return_counts=True)[1]
        assert len(counts) == len(candidates)
        assert counts.min() >= clip_len // len(candidates) and counts.max() <= -(-clip_len // len(candidates))
    else:
        assert len(set(out.tolist())) == clip_len
        assert clip_len == 1 or out[-1] == candidates[-1]  # spread over the whole window


@settings(max_examples=200, deadline=None)
@given(frames_st, coverage_st, stride_st, clip_len_st, anchor_st, st.sampled_from(["dense", "segment"]))
def test_other_samplers_stay_in_the_window(total, coverage, stride, clip_len, anchor, sampler):
    rng = np.random.default_rng(0)
    out = SAMPLERS[sampler](total, coverage, stride, clip_len, anchor, rng)
    start, length = coverage_window(total, coverage, anchor, np.random.default_rng(0))
    assert out.shape == (clip_len,) and out.dtype == np.int64
    assert np.all(np.diff(out) >= 0)
    assert out.min() >= start and out.max() < start + length


@settings(max_examples=200, deadline=None)
@given(frames_st, coverage_st, stride_st, clip_len_st)
def test_deterministic_anchors_ignore_rng(total, coverage, stride, clip_len):
    a = clip_indices(total, coverage, stride, clip_len, "center", np.random.default_rng(1))
    b = clip_indices(total, coverage, stride, clip_len, "center")
    assert a.tolist() == b.tolist()


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_registered_sampler_keeps_the_contract(name):
    """What README's "Extending" says a sampler takes: the signature, clip_len in-range int64 indices for any
    video length (1 frame included), reproducible random anchors, and a section in docs/sampling.md."""
    import inspect

    sampler = SAMPLERS[name]
    assert list(inspect.signature(sampler).parameters)[:6] == [
        "total_frames", "coverage", "stride", "clip_len", "anchor", "rng"
    ]  # fmt: skip
    for total in (1, 7, 50, 301):
        for coverage, stride in ((100, 1), (25, 4), (10, 16)):
            for anchor in ANCHORS:
                rng = np.random.default_rng(0) if anchor == "random" else None
                indices = sampler(total, coverage, stride, 8, anchor, rng)
                assert indices.dtype == np.int64 and indices.shape == (8,), (name, total, coverage, stride)
                assert 0 <= indices.min() and indices.max() < total
    again = [sampler(301, 25, 2, 8, "random", np.random.default_rng(5)) for _ in range(2)]
    assert np.array_equal(*again)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "sampling.md").read_text()
    assert f"## `{name}`" in docs, f"docs/sampling.md has no section for the {name} sampler"
