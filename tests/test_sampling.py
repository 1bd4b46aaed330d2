"""The sampling contract: worked examples, the 2025 flaw, and properties that must hold for every input."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inforates.sampling.facts import clip_facts, union_indices
from inforates.sampling.samplers import (
    ANCHORS,
    SAMPLERS,
    clip_indices,
    coverage_window,
    dense_indices,
    even_positions,
    frames_from_seconds,
    get_sampler,
    segment_indices,
    spacing_budget_indices,
)
from inforates.sampling.variants import SamplingVariant, build_grid, check_grid, video_rng
from inforates.sampling.views import temporal_views, view_starts, window_frames


def study_2025_indices(total_frames, coverage, stride, clip_len):
    """The 2025 study's sampler, as described in tests/data/reference/README.md (repeat, then truncate)."""
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
    assert set(SAMPLERS) == {"coverage_stride", "dense", "segment", "spacing_budget", "motion_uniform"}
    assert get_sampler("dense").function is dense_indices
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
    package = Path(__file__).resolve().parents[1].joinpath("inforates/sampling")
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text())
        imported = {n.names[0].name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not imported & {"torch", "transformers", "torchcodec", "datasets"}, path


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
    out = SAMPLERS[sampler].function(total, coverage, stride, clip_len, anchor, rng)
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
    """What README's "Extending" says a sampler takes: its axes' signature, clip_len in-range int64 indices for
    any video long enough (1 frame included for coverage samplers), reproducible random anchors, and a section in
    docs/sampling.md."""
    import inspect

    sampler = SAMPLERS[name]
    axes = ["spacing", "budget"] if sampler.takes_budget else ["coverage", "stride"]
    assert list(inspect.signature(sampler.function).parameters)[:6] == [
        "total_frames",
        *axes,
        "clip_len",
        "anchor",
        "rng",
    ]
    for total in (1, 7, 50, 301):
        for coverage, stride in ((100, 1), (25, 4), (10, 16)):
            for anchor in ANCHORS:
                rng = np.random.default_rng(0) if anchor == "random" else None
                variant = SamplingVariant(coverage, stride, name, anchor, budget=4 if sampler.takes_budget else None)
                indices = variant.indices(total, 8, rng, fit=sampler.takes_budget)
                assert indices.dtype == np.int64 and indices.shape == (8,), (name, total, coverage, stride)
                assert 0 <= indices.min() and indices.max() < total
    variant = SamplingVariant(25, 2, name, "random", budget=4 if sampler.takes_budget else None)
    again = [variant.indices(301, 8, np.random.default_rng(5)) for _ in range(2)]
    assert np.array_equal(*again)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "sampling.md").read_text()
    assert f"## `{name}`" in docs, f"docs/sampling.md has no section for the {name} sampler"


# ---- integer arithmetic, the exact design, seconds, aliases ----


def test_even_positions_are_exact_where_floats_drop_a_frame():
    """floor(linspace) gives 14 for K=31, N=23, position 11 (330/22 = 15 exactly); integer arithmetic gives 15."""
    assert int(np.floor(np.linspace(0, 30, 23))[11]) == 14  # the float rule's slip this guards against
    assert even_positions(31, 23)[11] == 15
    for count in range(1, 80):
        for clip_len in range(1, 40):
            got = even_positions(count, clip_len)
            if count >= clip_len:
                want = [i * (count - 1) // (clip_len - 1) if clip_len > 1 else 0 for i in range(clip_len)]
            else:
                want = [i * count // clip_len for i in range(clip_len)]
            assert got.tolist() == want
    assert clip_indices(31, 100, 1, 23)[11] == 15


def test_ucf101_example_stride_cells_are_nearly_the_same_clip():
    """docs/sampling.md: 175 frames, 16-frame clips, coverage 100: strides 1-8 give 16 distinct frames, stride 16
    pads to 11 -- the facts the evaluation writes per cell."""
    facts = {s: clip_facts(clip_indices(175, 100, s, 16), fps=25.0) for s in (1, 2, 4, 8, 16)}
    assert [facts[s].distinct_frames for s in (1, 2, 4, 8, 16)] == [16, 16, 16, 16, 11]
    assert [facts[s].median_spacing for s in (1, 2, 4, 8, 16)] == [12.0, 12.0, 12.0, 8.0, 16.0]
    assert clip_indices(175, 100, 16, 16).tolist() == [
        0,
        0,
        16,
        32,
        32,
        48,
        64,
        64,
        80,
        96,
        96,
        112,
        128,
        128,
        144,
        160,
    ]
    docs = (Path(__file__).resolve().parents[1] / "docs" / "sampling.md").read_text()
    for stride in (1, 2, 4, 8, 16):
        assert " ".join(map(str, clip_indices(175, 100, stride, 16))) in docs


def test_48_frame_alias():
    """The demo's 48-frame videos: cov75_s16 and cov100_s16 sample the same frames for an 8-frame model."""
    assert (
        clip_indices(48, 75, 16, 8).tolist() == clip_indices(48, 100, 16, 8).tolist() == [0, 0, 0, 16, 16, 16, 32, 32]
    )


def _docs_table(heading: str) -> list[list[str]]:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "sampling.md").read_text()
    section = docs.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


def test_spacing_budget_matches_the_worked_table_in_the_docs():
    rows = _docs_table("## `spacing_budget`")
    assert len(rows) == 6
    for name, span, indices in rows:
        if "too short" in indices:
            assert name == "d8_k8` on `T = 50"
            assert spacing_budget_indices(50, 8, 8, 8) is None
            continue
        spacing, budget = (int(part[1:]) for part in name.split("_"))
        got = spacing_budget_indices(175, spacing, budget, 16)
        assert " ".join(map(str, got)) == indices and int(span) == (budget - 1) * spacing + 1
        assert SamplingVariant(stride=spacing, sampler="spacing_budget", budget=budget).name == name


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 400), st.integers(1, 32), st.integers(1, 32), st.integers(1, 32), anchor_st)
def test_spacing_budget_properties(total, spacing, budget, clip_len, anchor):
    """Exactly `budget` distinct frames exactly `spacing` apart, each repeated evenly, in order, never truncated;
    None exactly when the video is too short; `fit` never returns None and stays in the video."""
    budget = min(budget, clip_len)
    out = spacing_budget_indices(total, spacing, budget, clip_len, anchor, np.random.default_rng(0))
    span = (budget - 1) * spacing + 1
    if span > total:
        assert out is None
        fitted = spacing_budget_indices(total, spacing, budget, clip_len, anchor, np.random.default_rng(0), fit=True)
        assert fitted.shape == (clip_len,) and 0 <= fitted.min() and fitted.max() < total
        return
    distinct, counts = np.unique(out, return_counts=True)
    assert out.shape == (clip_len,) and np.all(np.diff(out) >= 0)
    assert len(distinct) == budget and set(np.diff(distinct)) <= {spacing}
    assert counts.max() - counts.min() <= 1  # repeated evenly
    assert 0 <= distinct[0] and distinct[-1] < total
    if anchor == "center":
        assert distinct[0] == (total - span) // 2


def test_spacing_budget_bad_budgets():
    with pytest.raises(ValueError, match="budget must be an integer in"):
        spacing_budget_indices(100, 2, 9, 8)
    with pytest.raises(ValueError, match="needs a budget"):
        SamplingVariant(stride=2, sampler="spacing_budget")
    with pytest.raises(ValueError, match="has no budget"):
        SamplingVariant(stride=2, budget=4)
    with pytest.raises(ValueError, match="more frames than the model takes"):
        SamplingVariant(stride=2, sampler="spacing_budget", budget=16).check(8)


def test_seconds_turn_into_frames_per_video():
    assert frames_from_seconds(0.16, 25.0) == 4 and frames_from_seconds(0.16, 30.0) == 5  # UCF-101, HMDB-51
    assert frames_from_seconds(0.02, 25.0) == 1  # half a frame rounds up
    with pytest.raises(ValueError, match="under 1 frame"):
        frames_from_seconds(0.01, 25.0)
    with pytest.raises(ValueError, match="frame rate"):
        frames_from_seconds(0.16, float("nan"))
    variant = SamplingVariant(100, 0.16, spacing_unit="seconds")
    assert variant.name == "cov100_s0p16s"
    assert variant.indices(100, 4, fps=25.0).tolist() == clip_indices(100, 100, 4, 4).tolist()
    assert variant.indices(100, 4, fps=30.0).tolist() == clip_indices(100, 100, 5, 4).tolist()
    dense = SamplingVariant(50, 0.08, "dense", spacing_unit="seconds")
    assert dense.indices(100, 4, fps=25.0).tolist() == dense_indices(100, 50, 2, 4).tolist()
    with pytest.raises(ValueError, match="spacing_unit"):
        SamplingVariant(100, 1, spacing_unit="minutes")
    with pytest.raises(ValueError, match="integer"):
        SamplingVariant(100, 0.5)  # a fraction of a frame in frames


def test_spacing_budget_grid_is_budget_major():
    names = [v.name for v in build_grid(strides=[1, 4], sampler="spacing_budget", budgets=[4, 8])]
    assert names == ["d1_k4", "d4_k4", "d1_k8", "d4_k8"]
    seconds = build_grid(strides=[0.04], sampler="spacing_budget", budgets=[8], spacing_unit="seconds")
    assert [v.name for v in seconds] == ["d0p04s_k8"] and seconds[0].anchor == "center"
    with pytest.raises(ValueError, match="empty"):
        build_grid(strides=[1], sampler="spacing_budget", budgets=[])


def test_check_grid_names_a_grid_that_aliases_itself_and_reports_pairs():
    with pytest.raises(ValueError, match=r"every cell of the sampling grid \(segment_cov50_s1, segment_cov50_s4\)"):
        check_grid(build_grid([50], [1, 4], sampler="segment"), 8)
    pairs = check_grid(build_grid([50, 100], [1, 4], sampler="segment"), 8)
    assert pairs == [("segment_cov50_s4", "segment_cov50_s1"), ("segment_cov100_s4", "segment_cov100_s1")]
    assert check_grid(build_grid(), 16) == []  # the default grid's cells differ on some length
    with pytest.raises(ValueError, match="budget 32"):
        check_grid(build_grid(strides=[1], sampler="spacing_budget", budgets=[32]), 16)


# ---- temporal views (multi-view testing) ----


def test_view_starts_spread_from_first_to_last_start_in_integers():
    assert view_starts(90, 3).tolist() == [0, 45, 90]
    assert view_starts(10, 4).tolist() == [0, 3, 6, 10]  # floor(k * 10 / 3)
    assert view_starts(0, 5).tolist() == [0] * 5 and view_starts(-3, 2).tolist() == [0, 0]
    assert view_starts(7, 1).tolist() == [0]
    with pytest.raises(ValueError, match="clips"):
        view_starts(10, 0)


@pytest.mark.parametrize("sampler", ["coverage_stride", "dense", "segment"])
def test_temporal_views_shift_the_coverage_window_over_the_video(sampler):
    variant = SamplingVariant(25, 2, sampler)
    views = temporal_views(variant, 100, 8, clips=3)
    start = SamplingVariant(25, 2, sampler, anchor="start").indices(100, 8)
    # window of 25 frames, last start 75: starts 0, 37, 75
    assert [v.tolist() for v in views] == [(start + s).tolist() for s in (0, 37, 75)]
    assert views[-1].max() <= 99
    # the whole video as window: the K views are the same clip
    whole = temporal_views(SamplingVariant(100, 2, sampler), 100, 8, clips=4)
    assert all(v.tolist() == whole[0].tolist() for v in whole)


def test_one_temporal_view_is_the_cells_own_clip_with_its_anchor():
    for variant in [SamplingVariant(50, 4, anchor="center"), SamplingVariant(25, 1, anchor="random"),
                    SamplingVariant(stride=4, sampler="spacing_budget", budget=4)]:  # fmt: skip
        (view,) = temporal_views(variant, 120, 8, clips=1, rng=video_rng(0, "v"))
        assert view.tolist() == variant.indices(120, 8, rng=video_rng(0, "v")).tolist()


def test_spacing_budget_views_shift_its_k_frames_and_a_short_video_stays_short():
    variant = SamplingVariant(stride=4, sampler="spacing_budget", budget=3)  # span 9 frames
    views = temporal_views(variant, 20, 6, clips=2)
    assert [v.tolist() for v in views] == [[0, 0, 4, 4, 8, 8], [11, 11, 15, 15, 19, 19]]
    assert temporal_views(SamplingVariant(stride=8, sampler="spacing_budget", budget=4), 20, 4, clips=3) is None
    seconds = SamplingVariant(stride=0.16, sampler="spacing_budget", budget=2, spacing_unit="seconds")
    assert [v.tolist() for v in temporal_views(seconds, 10, 2, clips=2, fps=25.0)] == [[0, 4], [5, 9]]


@settings(max_examples=150, deadline=None)
@given(
    total=st.integers(1, 400),
    coverage=st.sampled_from([10, 25, 33.3, 50, 75, 100]),
    stride=st.integers(1, 16),
    clip_len=st.integers(1, 16),
    clips=st.integers(1, 6),
    sampler=st.sampled_from(["coverage_stride", "dense", "segment"]),
)
def test_temporal_views_stay_in_the_video_and_keep_the_clip_shape(total, coverage, stride, clip_len, clips, sampler):
    variant = SamplingVariant(coverage, stride, sampler)
    views = temporal_views(variant, total, clip_len, clips)
    assert len(views) == clips
    base = views[0]
    for view in views:
        assert view.shape == (clip_len,) and view.min() >= 0 and view.max() < total
        assert np.all(np.diff(view) >= 0)
        assert (np.diff(view) == np.diff(base)).all()  # the same clip, shifted
    if window_frames(variant, total) == total:
        assert all((v == base).all() for v in views)
