"""Simulated evaluation runs with known accuracies (shared by the stats, plots and compare tests), and the
simulation checks of the confidence intervals: a nominal 95 % interval must cover the truth 93-97 % of the time.

With 1,000 simulated data sets the coverage estimate has a standard error of sqrt(.95 * .05 / 1000) = 0.69
points, so the 93-97 % band is about +-2.9 standard errors: a correct interval fails it with probability
~0.4 %, an interval that really covers 91 % or 99 % is caught with probability > 99 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from inforates.analysis.accuracy import bootstrap_accuracies
from inforates.schema import wilson_interval


COVERAGES = (10.0, 25.0, 50.0, 75.0, 100.0)
STRIDES = (1, 2, 4, 8, 16)


def true_accuracy(base: float, coverage_loss: float, stride_loss: float, coverage: float, stride: int) -> float:
    """The simulated model's accuracy in one cell: loses ``coverage_loss`` from 100 % to 10 % coverage (linear in
    the missing share) and ``stride_loss`` from stride 1 to 16 (linear in log2 stride)."""
    return base - coverage_loss * (100 - coverage) / 90 - stride_loss * np.log2(stride) / 4


def simulate_predictions(
    models: dict[str, tuple[float, float, float]] | None = None,
    n_classes: int = 8,
    videos_per_class: int = 20,
    groups_per_class: int = 4,
    coverages=COVERAGES,
    strides=STRIDES,
    correlation: float = 0.6,
    seed: int = 0,
) -> pd.DataFrame:
    """A predictions table in the docs/design.md schema. ``models`` maps a name to ``(base, coverage_loss,
    stride_loss)`` (see :func:`true_accuracy`), or to a function ``(coverage, stride) -> accuracy``. Every model sees every video under every variant; correctness
    is ``Phi(r * z_video + sqrt(1 - r^2) * e) < accuracy`` so each cell's expected accuracy is exactly the true
    one while a video's outcomes are correlated across variants and models (r = ``correlation``)."""
    models = models or {"alpha": (0.92, 0.25, 0.05), "beta": (0.85, 0.10, 0.02), "gamma": (0.80, 0.35, 0.15)}
    rng = np.random.default_rng(seed)
    n_videos = n_classes * videos_per_class
    labels = np.repeat(np.arange(n_classes), videos_per_class)
    class_names = np.array([f"Class{c:02d}" for c in range(n_classes)])
    groups = np.array([f"g{1 + i % groups_per_class:02d}" for i in range(n_videos)])
    difficulty = rng.standard_normal(n_videos)
    frames = rng.integers(60, 200, n_videos)
    rows = []
    for name, params in models.items():
        for cov in coverages:
            for stride in strides:
                acc = params(cov, stride) if callable(params) else true_accuracy(*params, cov, stride)
                latent = correlation * difficulty + np.sqrt(1 - correlation**2) * rng.standard_normal(n_videos)
                correct = sps.norm.cdf(latent) < acc
                wrong = (labels + rng.integers(1, n_classes, n_videos)) % n_classes
                pred = np.where(correct, labels, wrong)
                window = np.maximum(1, np.floor(frames * cov / 100)).astype(int)
                distinct = np.minimum(8, np.ceil(window / stride)).astype(int)
                rows.append(
                    pd.DataFrame(
                        {
                            "model": name,
                            "video_id": [f"v{i:04d}" for i in range(n_videos)],
                            "path": [f"/data/{class_names[lab]}/v{i:04d}.mp4" for i, lab in enumerate(labels)],
                            "label": labels,
                            "class_name": class_names[labels],
                            "group": groups,
                            "variant": f"cov{cov:g}_s{stride}",
                            "sampler": "coverage_stride",
                            "coverage": float(cov),
                            "stride": int(stride),
                            "anchor": "start",
                            "pred": pred,
                            "pred_class": class_names[pred],
                            "correct": correct,
                            "top5": correct | (rng.random(n_videos) < 0.5),
                            "p_true": np.where(correct, 0.8, 0.1),
                            "distinct_frames": distinct,
                            "span_frames": np.minimum(window, 8 * stride),
                            "span_seconds": np.minimum(window, 8 * stride) / 25.0,
                            "median_spacing": float(stride),
                            "fps": 25.0,
                            "total_frames": frames,
                            "f_hz": np.nan,
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


def simulate_synthetic(n_videos: int = 120, seed: int = 0, model: str = "tiny") -> pd.DataFrame:
    """The rotating-shape benchmark: ``<shape>_<cw|ccw>`` classes, frequency ``f_hz``; a model that perceives the
    *apparent* rotation: right direction iff frac(f * spacing / fps) < 0.5 (shape always right)."""
    rng = np.random.default_rng(seed)
    shapes = np.array(["square", "triangle", "star"])
    rows = []
    f_hz = rng.uniform(0.2, 6.0, n_videos)
    shape = shapes[rng.integers(0, 3, n_videos)]
    direction = np.where(rng.random(n_videos) < 0.5, "cw", "ccw")
    for cov in COVERAGES:
        for stride in STRIDES:
            x = f_hz * stride / 25.0
            keep_dir = (x - np.floor(x)) < 0.5
            pred_dir = np.where(keep_dir, direction, np.where(direction == "cw", "ccw", "cw"))
            true_cls = np.char.add(np.char.add(shape, "_"), direction)
            pred_cls = np.char.add(np.char.add(shape, "_"), pred_dir)
            rows.append(
                pd.DataFrame(
                    {
                        "model": model,
                        "video_id": [f"s{i:04d}" for i in range(n_videos)],
                        "label": 0,
                        "class_name": true_cls,
                        "group": "",
                        "variant": f"cov{cov:g}_s{stride}",
                        "sampler": "coverage_stride",
                        "coverage": cov,
                        "stride": stride,
                        "anchor": "start",
                        "pred_class": pred_cls,
                        "correct": true_cls == pred_cls,
                        "distinct_frames": 8 if cov > 10 else 2,
                        "median_spacing": float(stride),
                        "fps": 25.0,
                        "f_hz": f_hz,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_simulated_accuracies_match_the_truth():
    pred = simulate_predictions(videos_per_class=100, seed=1)
    got = pred.groupby(["model", "coverage", "stride"])["correct"].mean()
    models = {"alpha": (0.92, 0.25, 0.05), "beta": (0.85, 0.10, 0.02), "gamma": (0.80, 0.35, 0.15)}
    truth = np.array([true_accuracy(*models[m], c, s) for m, c, s in got.index])
    # 800 videos per cell: binomial SE <= 0.018; allow 4 SE.
    assert np.abs(got.to_numpy() - truth).max() < 0.07


def test_wilson_interval_covers_nominal_share():
    """1,000 binomial samples per (n, p); Wilson is close to nominal away from p near 0 or 1."""
    rng = np.random.default_rng(123)
    for n, p in ((50, 0.8), (200, 0.6), (300, 0.9)):
        k = rng.binomial(n, p, size=1000)
        covered = np.mean([lo <= p <= hi for lo, hi in (wilson_interval(int(x), n) for x in k)])
        assert 0.93 <= covered <= 0.97, (n, p, covered)


def _one_cell(n_videos: int, p: float, rng, groups: int | None = None, concentration: float = 2.0) -> pd.DataFrame:
    """One variant of one model. With ``groups``, videos of a group share a success probability drawn from
    Beta(p * concentration, (1 - p) * concentration): intra-group correlation 1 / (1 + concentration)."""
    if groups is None:
        correct = rng.random(n_videos) < p
        group = ""
    else:
        per_group = rng.beta(p * concentration, (1 - p) * concentration, groups)
        gid = rng.integers(0, groups, n_videos)
        correct = rng.random(n_videos) < per_group[gid]
        group = np.char.add("g", gid.astype(str))
    return pd.DataFrame(
        {
            "model": "m",
            "video_id": np.arange(n_videos).astype(str),
            "label": 0,
            "group": group,
            "variant": "cov100_s1",
            "coverage": 100.0,
            "stride": 1,
            "correct": correct,
        }  # fmt: skip
    )


def test_bootstrap_interval_covers_nominal_share():
    """Percentile bootstrap of accuracy over 200 independent videos, 1,000 simulated data sets."""
    rng = np.random.default_rng(7)
    p, hits = 0.75, 0
    for sim in range(1000):
        draws, _, _ = bootstrap_accuracies(_one_cell(200, p, rng), n_boot=400, seed=sim)
        lo, hi = np.quantile(draws[:, 0, 0], [0.025, 0.975])
        hits += lo <= p <= hi
    assert 0.93 <= hits / 1000 <= 0.97, hits / 1000


@pytest.mark.slow
def test_cluster_bootstrap_respects_groups():
    """300 videos in 150 correlated groups: resampling groups keeps ~95 %; the Wilson interval, which ignores the
    clustering, is too narrow. 2,000 data sets (SE 0.5 points): the percentile interval runs ~1 point under
    nominal here, like a Wald interval at the effective sample size (see docs/statistics.md)."""
    rng = np.random.default_rng(11)
    p, hits, wilson_hits = 0.7, 0, 0
    for sim in range(2000):
        cell = _one_cell(300, p, rng, groups=150)
        draws, _, _ = bootstrap_accuracies(cell, n_boot=1000, seed=sim)
        lo, hi = np.quantile(draws[:, 0, 0], [0.025, 0.975])
        hits += lo <= p <= hi
        w_lo, w_hi = wilson_interval(int(cell["correct"].sum()), len(cell))
        wilson_hits += w_lo <= p <= w_hi
    assert 0.93 <= hits / 2000 <= 0.97, hits / 2000
    assert wilson_hits / 2000 < 0.90, wilson_hits / 2000


# ---- the within-video Nyquist check against simulated models ----


def simulate_within_video(behaviour: str, spacings=range(1, 13), seed: int = 0) -> pd.DataFrame:
    """The demo's test videos (default benchmark) over its spacing_budget design (8 distinct frames spacing d apart,
    8-frame model), with a simulated model's direction: ``theory`` right iff frac(x) < 0.5; ``reverse_at_12``
    reverses every clip at spacing 12 whatever the frequency (right elsewhere); ``always`` always right;
    ``chance`` a coin flip. The shape is always right."""
    from inforates.data.synthetic import SynthParams, iter_videos
    from inforates.sampling import SamplingVariant, clip_facts

    params, rng, rows = SynthParams(), np.random.default_rng(seed), []
    videos = [v for v in iter_videos(params) if v.split == "test"]
    for spacing in spacings:
        variant = SamplingVariant(stride=spacing, sampler="spacing_budget", budget=8)
        facts = clip_facts(variant.indices(params.num_frames, 8), params.fps)
        x = np.array([v.f_hz for v in videos]) * facts.median_spacing / params.fps
        truth = np.array([v.direction for v in videos])
        if behaviour == "theory":
            right = (x % 1) < 0.5
        elif behaviour == "reverse_at_12":
            right = np.full(len(videos), spacing != 12)
        elif behaviour == "always":
            right = np.ones(len(videos), bool)
        else:
            right = rng.random(len(videos)) < 0.5
        seen = np.where(right, truth, np.where(truth == "cw", "ccw", "cw"))
        rows.append(pd.DataFrame({
            "model": behaviour, "video_id": [v.video_id for v in videos], "label": 0, "group": "",
            "class_name": [v.class_name for v in videos], "pred_class": [f"{v.shape}_{d}" for v, d in zip(videos, seen)],
            "variant": variant.name, "sampler": "spacing_budget", "coverage": 100.0, "stride": spacing,
            "distinct_frames": facts.distinct_frames, "median_spacing": facts.median_spacing, "fps": params.fps,
            "f_hz": [v.f_hz for v in videos],
        }))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("behaviour, verdict", [("theory", "PASS"), ("reverse_at_12", "FAIL"), ("always", "FAIL"),
                                                ("chance", "FAIL")])  # fmt: skip
def test_only_the_aliasing_model_passes_the_within_video_check(behaviour, verdict):
    """The rival hypotheses run through the real check: only "right iff frac(x) < 0.5" passes it."""
    from inforates.analysis.nyquist import nyquist_check

    check = nyquist_check(simulate_within_video(behaviour), n_boot=200)
    assert check["verdict"] == verdict, check["within_video"]
    within = check["within_video"]
    assert within["n_videos"] == 144 and check["design"] == "spacing_budget"
    if behaviour == "theory":
        assert (within["below"], within["above"]) == (1.0, 0.0) and within["ci_low"] == 1.0
        assert within["log10_p"] < -20
    if behaviour == "reverse_at_12":
        assert within["above"] > 0.5  # right past the limit at every spacing but 12


def test_the_within_video_check_reads_the_exact_design_when_there_is_one():
    """With the coverage x stride grid beside it (where a stride-16 reverser would look like aliasing), the check
    reads only the spacing_budget rows."""
    from inforates.analysis.nyquist import nyquist_check

    within = simulate_within_video("theory")
    grid = simulate_synthetic(n_videos=30, model="theory")
    check = nyquist_check(pd.concat([within, grid], ignore_index=True), n_boot=50)
    assert check["below_nyquist_n"] + check["above_nyquist_n"] <= len(within)
    assert nyquist_check(grid, n_boot=50)["design"] == "all"
