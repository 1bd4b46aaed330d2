"""The sampling analyses against direct statsmodels/scipy computations on small hand-built predictions tables:
attribution (GEE odds ratios), matched evidence (McNemar, Cochran's Q, the padding-only stride effect), the
repeated-measures ANOVA (AnovaRM), the seconds axis of the robustness ranking, and readable, unhidden p-values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import cochrans_q
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from inforates import schema
from inforates.analysis import attribution, matched, needs, paired, plots, pvalues, robustness
from inforates.analysis.inputs import ModelRun
from inforates.analysis.registry import ENTRIES, analyse
from inforates.analysis.report import Figures


CLIP_LEN, FPS = 8, 25.0


def _clip(total: int, coverage: float, stride: int, clip_len: int = CLIP_LEN) -> np.ndarray:
    """The coverage_stride sampler written out: every stride-th frame of the first coverage % of the video, then
    clip_len of them spread evenly, or every candidate repeated evenly when there are fewer."""
    window = max(1, math.floor(total * coverage / 100 + 1e-9))
    candidates = np.arange(0, window, stride)
    k = len(candidates)
    positions = np.linspace(0, k - 1, clip_len).astype(int) if k >= clip_len else np.arange(clip_len) * k // clip_len
    return candidates[positions]


def hand_table(n_videos=40, coverages=(50.0, 100.0), strides=(1, 4, 16), accuracy=None, seed=0, model="m"):
    """Predictions of one model: half the videos long (200 frames), half short (48 frames), so large strides pad
    the short ones. ``accuracy(padded, stride, coverage)`` gives each clip's probability of being right; a video's
    outcomes share a latent difficulty."""
    accuracy = accuracy or (lambda padded, stride, coverage: 0.85 - 0.4 * padded)
    rng = np.random.default_rng(seed)
    difficulty = rng.standard_normal(n_videos)
    rows = []
    for v in range(n_videos):
        total = 200 if v % 2 == 0 else 48
        for cov in coverages:
            for stride in strides:
                frames = np.unique(_clip(total, cov, stride))
                is_padded = len(frames) < CLIP_LEN
                latent = 0.5 * difficulty[v] + math.sqrt(0.75) * rng.standard_normal()
                rows.append({"model": model, "video_id": f"v{v:03d}", "label": v % 4, "class_name": f"c{v % 4}",
                             "group": "", "variant": f"cov{cov:g}_s{stride}", "sampler": "coverage_stride",
                             "coverage": cov, "stride": stride, "anchor": "start",
                             "correct": bool(sps.norm.cdf(latent) < accuracy(is_padded, stride, cov)),
                             "distinct_frames": len(frames), "span_frames": int(frames[-1] - frames[0] + 1),
                             "span_seconds": (frames[-1] - frames[0] + 1) / FPS,
                             "median_spacing": float(np.median(np.diff(frames))) if len(frames) > 1 else np.nan,
                             "fps": FPS, "total_frames": total, "f_hz": np.nan})  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def table():
    return hand_table()


def test_hand_table_has_the_intended_padding(table):
    pad = attribution.padded(table)
    assert (attribution.clip_lengths(table) == CLIP_LEN).all()
    long_clips = table["total_frames"] == 200
    assert not pad[long_clips & (table["stride"] < 16)].any() and pad[~long_clips & (table["stride"] == 16)].all()
    assert not pad[long_clips & (table["coverage"] == 100) & (table["stride"] == 16)].any()
    with_column = table.assign(clip_len=16)  # an explicit clip_len wins over the longest clip
    assert attribution.padded(with_column).all()


# --------------------------------------------------------------------------------------------------------------
# Attribution
# --------------------------------------------------------------------------------------------------------------
def _direct_gee(df: pd.DataFrame, columns: list[str]):
    import statsmodels.api as sm

    keep = df["distinct_frames"] > 1
    df = df[keep]
    x = pd.DataFrame({"log2_spacing_seconds": np.log2(df["median_spacing"] / df["fps"]),
                      "log2_distinct_frames": np.log2(df["distinct_frames"]),
                      "span_tenths": 10 * df["span_frames"] / df["total_frames"]})[columns]  # fmt: skip
    model = sm.GEE(df["correct"].astype(float).to_numpy(), sm.add_constant(x.to_numpy()),
                   groups=pd.factorize(df["video_id"])[0], family=sm.families.Binomial(),
                   cov_struct=sm.cov_struct.Exchangeable())  # fmt: skip
    return model.fit(), int((~keep).sum())


def test_attribution_odds_ratios_equal_a_direct_gee_fit():
    df = hand_table(n_videos=60, coverages=(25.0, 50.0, 100.0), seed=1)
    got = attribution.attribution(df)
    names = list(attribution.SAMPLING_PREDICTORS)  # no motion frequency here: no folded turn
    ref, single = _direct_gee(df, names)
    assert got["single_frame_rows_dropped"] == single > 0 and got["n_rows"] == len(df) - single
    assert got["n_clusters"] == 60 and got["cluster_unit"] == "videos" and got["dropped"] == {}
    for i, name in enumerate(names, start=1):
        fit = got["predictors"][name]
        assert fit["odds_ratio"] == pytest.approx(math.exp(ref.params[i]), rel=1e-6)
        assert (fit["ci_low"], fit["ci_high"]) == pytest.approx(np.exp(ref.conf_int()[i]), rel=1e-4)
        assert fit["p_value"] == pytest.approx(ref.pvalues[i], rel=1e-6)
        assert fit["log10_p"] == pytest.approx(math.log10(ref.pvalues[i]), rel=1e-6)
    assert set(got["order"]) == set(names)
    for name in names:  # each predictor's VIF: 1 / (1 - R^2) of its regression on the other two
        data, _ = attribution.attribution_data(df)
        others = [n for n in names if n != name]
        design = np.column_stack([np.ones(len(data)), data[others]])
        residual = data[name] - design @ np.linalg.lstsq(design, data[name], rcond=None)[0]
        r2 = 1 - (residual**2).sum() / ((data[name] - data[name].mean()) ** 2).sum()
        assert got["predictors"][name]["vif"] == pytest.approx(1 / (1 - r2))
    assert got["collinear"] == [n for n in names if got["predictors"][n]["vif"] > attribution.VIF_HIGH]
    csv = attribution.attribution_table(got, "m")
    assert list(csv["predictor"]) == names and (csv["n_rows"] == got["n_rows"]).all()


def test_attribution_drops_constant_and_collinear_predictors():
    only_unpadded = hand_table(strides=(1, 2), coverages=(50.0, 100.0))  # 8 distinct frames everywhere
    got = attribution.attribution(only_unpadded)
    assert got["dropped"] == {"log2_distinct_frames": "constant: every clip has log2_distinct_frames = 3"}
    ref, _ = _direct_gee(only_unpadded, ["log2_spacing_seconds", "span_tenths"])
    assert got["predictors"]["span_tenths"]["odds_ratio"] == pytest.approx(math.exp(ref.params[2]), rel=1e-6)

    collinear = hand_table(seed=2)
    collinear["median_spacing"] = collinear["distinct_frames"].astype(float)  # log2 spacing = log2 distinct - log2 25
    got = attribution.attribution(collinear)
    assert got["dropped"]["log2_distinct_frames"].startswith("collinear with log2_spacing_seconds")
    assert set(got["predictors"]) == {"log2_spacing_seconds", "span_tenths"}


def test_attribution_skips_separation_and_constant_outcomes(table):
    separated = table.assign(correct=table["distinct_frames"] == CLIP_LEN)
    assert "separation" in attribution.attribution(separated)["skipped"]
    assert (
        attribution.attribution(table.assign(correct=True))["skipped"] == "every clip is correct: nothing to attribute"
    )
    single = table.assign(distinct_frames=1)
    assert attribution.attribution(single)["skipped"] == "no clip has two or more distinct frames"


# --------------------------------------------------------------------------------------------------------------
# Matched evidence
# --------------------------------------------------------------------------------------------------------------
def _at(result: dict, coverage: float) -> dict:
    return next(r for r in result["comparisons"] if r["coverage"] == coverage)


def test_matched_evidence_tests_equal_direct_statsmodels(table):
    result, csv = matched.matched_evidence(table, n_boot=200, seed=0, min_videos=5)
    row = _at(result, 100)
    assert row["matched_strides"] == "1 4 16" and row["matched_n_videos"] == 20  # the long videos
    cell = table[table["coverage"] == 100]
    wide = cell.pivot(index="video_id", columns="stride", values="correct").astype(int)
    unpadded = cell[~attribution.padded(cell)].groupby("video_id")["stride"].nunique() == 3
    m = wide.loc[unpadded[unpadded].index]
    q = cochrans_q(m[[1, 4, 16]].to_numpy())
    assert row["matched_cochran_q"] == pytest.approx(q.statistic) and row["matched_cochran_p"] == pytest.approx(
        q.pvalue
    )
    for prefix, videos in (("matched_", m), ("padded_", wide)):  # the same McNemar on its own videos
        b, c = int(((videos[1] == 1) & (videos[16] == 0)).sum()), int(((videos[1] == 0) & (videos[16] == 1)).sum())
        both, neither = (
            int(((videos[1] == 1) & (videos[16] == 1)).sum()),
            int(((videos[1] == 0) & (videos[16] == 0)).sum()),
        )
        ref = sm_mcnemar([[both, b], [c, neither]], exact=b + c < 25, correction=True)
        assert (row[f"{prefix}mcnemar_b"], row[f"{prefix}mcnemar_c"]) == (b, c)
        assert row[f"{prefix}mcnemar_p_value"] == pytest.approx(ref.pvalue)
        assert row[f"{prefix}mcnemar_statistic"] == pytest.approx(ref.statistic)
        assert row[f"{prefix}drop"] == pytest.approx(videos[1].mean() - videos[16].mean())
        assert row[f"{prefix}drop_low"] <= row[f"{prefix}drop"] <= row[f"{prefix}drop_high"]
    assert row["padded_n_videos"] == 40 and row["padded_padded_share_large"] == pytest.approx(0.5)
    # every coverage gets its padded contrast; coverage 50 keeps strides 1 and 4 unpadded (16 pads every clip)
    assert list(csv["coverage"]) == [50, 100] and list(csv["matched_strides"]) == ["1 4", "1 4 16"]
    assert list(csv["padded_stride_large"]) == [16, 16]


def test_a_stride_effect_due_to_padding_vanishes_among_unpadded_clips():
    """Accuracy depends only on padding (0.85 unpadded, 0.45 padded), never on stride: over all clips stride 16
    costs ~20 points (half its clips pad); on the videos no stride pads it costs nothing. The two contrasts are
    different comparisons (the padded one includes the padded clips), so they differ where padding exists."""
    df = hand_table(n_videos=400, coverages=(100.0,), seed=4)
    result, _ = matched.matched_evidence(df, n_boot=300, seed=0)
    row = _at(result, 100)
    assert row["padded_drop"] > 0.15 and row["padded_drop_low"] > 0.08
    assert abs(row["matched_drop"]) < 0.05 and row["matched_drop_low"] < 0 < row["matched_drop_high"]
    stride_bound = hand_table(n_videos=400, coverages=(100.0,), seed=4, accuracy=lambda p, s, c: 0.9 - 0.02 * s)
    assert _at(matched.matched_evidence(stride_bound, n_boot=100)[0], 100)["matched_drop_low"] > 0.15  # a real effect


def test_matched_evidence_keeps_the_padded_contrast_where_no_two_strides_stay_unpadded(table):
    short = table[table["total_frames"] == 48]
    result, csv = matched.matched_evidence(short, n_boot=50, min_videos=5)
    fifty = _at(result, 50)
    assert fifty["matched_skipped"] == "fewer than two strides keep 5 videos unpadded (8 distinct frames)"
    assert "matched_drop" not in fifty and fifty["padded_drop"] == pytest.approx(
        short[(short["coverage"] == 50) & (short["stride"] == 1)]["correct"].mean()
        - short[(short["coverage"] == 50) & (short["stride"] == 16)]["correct"].mean()
    )
    assert _at(result, 100)["matched_strides"] == "1 4"  # coverage 100: stride 16 pads every short video


# --------------------------------------------------------------------------------------------------------------
# Repeated-measures ANOVA
# --------------------------------------------------------------------------------------------------------------
def test_rm_anova_equals_anovarm_and_partial_eta_squared(table):
    from statsmodels.stats.anova import AnovaRM

    got = paired.rm_anova(table)
    ref = AnovaRM(table.assign(y=table["correct"].astype(float)), "y", "video_id", ["coverage", "stride"]).fit()
    ref = ref.anova_table.rename(index={"coverage:stride": "coverage_x_stride"})
    assert got["n_videos"] == 40 and got["incomplete_videos_dropped"] == 0
    for effect, fit in got["effects"].items():
        assert fit["f_statistic"] == pytest.approx(ref.loc[effect, "F Value"], rel=1e-9)
        assert (fit["df1"], fit["df2"]) == (ref.loc[effect, "Num DF"], ref.loc[effect, "Den DF"])
        assert fit["p_uncorrected"] == pytest.approx(ref.loc[effect, "Pr > F"], rel=1e-9)
        # the p the report uses: Greenhouse-Geisser, the degrees of freedom times epsilon (never smaller)
        assert 0 < fit["epsilon"] <= 1 and fit["p_value"] >= fit["p_uncorrected"] - 1e-15
        assert fit["p_value"] == pytest.approx(sps.f.sf(f := fit["f_statistic"], fit["df1"] * fit["epsilon"],
                                                        fit["df2"] * fit["epsilon"]), rel=1e-9)  # fmt: skip
        f, df1, df2 = fit["f_statistic"], fit["df1"], fit["df2"]
        assert fit["partial_eta_squared"] == pytest.approx(f * df1 / (f * df1 + df2))
        assert fit["partial_eta_squared"] == pytest.approx(fit["ss"] / (fit["ss"] + fit["ss_error"]))
    # epsilon of the coverage effect, by Box's formula on the videos' per-coverage means
    means = table.pivot_table(index="video_id", columns="coverage", values="correct", aggfunc="mean").to_numpy(float)
    cov, k = np.cov(means, rowvar=False), means.shape[1]
    box = (k * (np.diag(cov).mean() - cov.mean())) ** 2 / (
        (k - 1) * ((cov**2).sum() - 2 * k * (cov.mean(axis=1) ** 2).sum() + k**2 * cov.mean() ** 2)
    )
    assert got["effects"]["coverage"]["epsilon"] == pytest.approx(box)
    incomplete = paired.rm_anova(table.drop(index=table.index[0]))
    assert (incomplete["n_videos"], incomplete["incomplete_videos_dropped"]) == (39, 1)
    assert "skipped" in paired.rm_anova(table[table["coverage"] == 100])


# --------------------------------------------------------------------------------------------------------------
# p-values: readable, and never a bare 0.0
# --------------------------------------------------------------------------------------------------------------
def test_p_values_are_readable():
    assert pvalues.format_p(2.3e-6) == "p = 2.3e-06" and pvalues.format_p(0.0312) == "p = 0.031"
    assert pvalues.format_p(float("nan")) == "p = n/a"
    assert pvalues.format_p(0.0, -1060.7) == "p < 1e-300 (log10 p = -1060.7)"
    assert pvalues.p_cell(2.3e-6) == "2.3e-06" and pvalues.p_cell(0.5) == "0.500" and pvalues.p_cell(None) == ""


def test_underflowing_tails_keep_their_size():
    p, log10_p = pvalues.chi2_p(5000, 20)
    assert p == 0.0 and math.isfinite(log10_p) and log10_p < -1000
    # chi2(20) tail = Q(10, x/2) = exp(-x/2) sum_{k<10} (x/2)^k / k!, written out in log space
    half = 2500.0
    terms = [k * math.log(half) - math.lgamma(k + 1) for k in range(10)]
    top = max(terms)
    exact = (-half + top + math.log(sum(math.exp(t - top) for t in terms))) / math.log(10)
    assert log10_p == pytest.approx(exact, rel=1e-10)
    for statistic, df in ((30.0, 3), (700.0, 1), (1400.0, 5)):  # where scipy still resolves it, they agree
        assert pvalues.chi2_p(statistic, df)[1] == pytest.approx(math.log10(sps.chi2.sf(statistic, df)), rel=1e-9)
    assert pvalues.f_p(40.0, 4, 300)[1] == pytest.approx(math.log10(sps.f.sf(40.0, 4, 300)), rel=1e-9)
    p, log10_f = pvalues.f_p(5000.0, 4, 1000)
    assert p == 0.0 and -700 < log10_f < -600
    mpmath = pytest.importorskip("mpmath")
    x = 1000 / (1000 + 4 * 5000.0)
    assert log10_f == pytest.approx(float(mpmath.log10(mpmath.betainc(500, 2, 0, x, regularized=True))), rel=1e-9)


def test_cochran_and_mcnemar_store_log10_p_where_p_underflows():
    rng = np.random.default_rng(0)
    n = 4000
    outcomes = {f"cov{c}_s1": rng.random(n) < a for c, a in ((10, 0.02), (50, 0.5), (100, 0.99))}
    rows = [{"model": "m", "video_id": f"v{i}", "variant": v, "sampler": "coverage_stride", "coverage": float(v[3:-3]),
             "stride": 1, "anchor": "start", "correct": bool(o[i])} for v, o in outcomes.items() for i in range(n)]  # fmt: skip
    q = paired.cochran_q(pd.DataFrame(rows), "m")
    assert q["p_value"] == 0.0 and q["log10_p"] == pytest.approx(pvalues.chi2_p(q["statistic"], 2)[1])
    assert -5000 < q["log10_p"] < -300
    tests = paired.mcnemar_counts(np.array([3000, 5]), np.array([0, 4]))
    assert tests["p_value"][0] == 0.0 and tests["log10_p"][0] == pytest.approx(pvalues.chi2_p(2999**2 / 3000, 1)[1])
    assert tests["log10_p"][1] == pytest.approx(math.log10(tests["p_value"][1]))


# --------------------------------------------------------------------------------------------------------------
# The seconds axis, the figure, the registry
# --------------------------------------------------------------------------------------------------------------
def test_auc_over_span_seconds_by_hand(table):
    results = schema.results_table(table)
    spans = robustness.span_by_coverage(table)
    ranking = robustness.auc_ranking(results, table, n_boot=200, seed=0, spans=spans).iloc[0]
    x = [table[table["coverage"] == c]["span_seconds"].median() for c in (50.0, 100.0)]
    y = [table[table["coverage"] == c]["correct"].mean() for c in (50.0, 100.0)]  # equal clips per stride
    assert ranking["auc_seconds"] == pytest.approx((y[0] + y[1]) / 2)  # one trapezoid over the whole range
    assert spans["span_seconds"].tolist() == pytest.approx(x)
    assert ranking["auc_seconds_low"] <= ranking["auc_seconds"] <= ranking["auc_seconds_high"]
    assert math.isnan(robustness.auc_ranking(results).iloc[0]["auc_seconds"])  # no predictions: no seconds


def test_accuracy_vs_spacing_seconds_draws_one_line_per_distinct_count(table):
    curves = plots.spacing_curves(table, min_clips=1)
    clips = table[table["distinct_frames"] > 1]
    assert curves["n"].sum() == len(clips)
    assert set(curves["distinct_frames"]) == set(clips["distinct_frames"])
    fig = plots.accuracy_vs_spacing_seconds(table, "m")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and len(ax.lines) == plots.spacing_curves(table)["distinct_frames"].nunique()


def test_registry_runs_the_sampling_entries_and_words_them():
    runs = []
    for model, seed in (("a", 5), ("b", 6)):
        df = hand_table(n_videos=40, seed=seed, model=model)
        runs.append(ModelRun(model, "hand", schema.results_table(df), schema.per_class_table(df), df))
    an = analyse(runs, protocol="paired", n_boot=50)
    assert {"attribution", "matched_evidence", "rm_anova"} <= set(an.done)
    assert set(an.tables["attribution"]["model"]) == {"a", "b"} and len(an.tables["rm_anova"]) == 6
    per_model = an.statistical["paired"]["per_model"]["a"]
    assert {"attribution", "matched_evidence", "rm_anova"} <= set(per_model)
    text = "\n".join(line for name in ("attribution", "matched_evidence", "rm_anova")
                     for line in next(e for e in ENTRIES if e.name == name).section(an, Figures({}, None)))  # fmt: skip
    assert "## What correctness depends on (attribution)" in text and "| a | distinct frames |" in text
    assert "## Stride with and without padding" in text and "## Coverage, stride and their interaction" in text
    assert "0.000" not in text
    families = an.statistical["families"]
    assert families["attribution (GEE)"]["tests"] == 6 and families["coverage and stride (rm-ANOVA)"]["tests"] == 6
    no_facts = [ModelRun(r.name, r.source, r.results, r.per_class, r.predictions.drop(columns="span_frames"))
                for r in runs]  # fmt: skip
    an = analyse(no_facts, protocol="paired", n_boot=20)
    skipped = {s["analysis"]: s["reason"] for s in an.skipped}
    assert skipped["attribution (a)"] == skipped["attribution (b)"] == needs.CLIP_FACTS.reason
    assert "attribution" not in an.statistical["paired"]["per_model"]["a"] and "rm_anova" in an.done


def test_aliased_cells_stay_in_the_grid_analyses_and_leave_the_cell_counting_tests(table):
    """A cell that repeats an earlier cell's frames keeps its place in the grid (rm-ANOVA stays complete) but is
    not tested again: the McNemar family and Cochran's Q count the distinct cells only."""
    results = schema.results_table(table)
    results.loc[results["variant"] == "cov100_s16", "same_frames_as"] = "cov50_s16"  # as the loader marks it
    run = ModelRun("m", "hand", results, schema.per_class_table(table), table)
    assert "cov100_s16" not in set(run.tested["variant"]) and len(run.tested) == len(table) - 40
    an = analyse([run], protocol="paired", n_boot=20)
    per_model = an.statistical["paired"]["per_model"]["m"]
    assert per_model["rm_anova"]["n_videos"] == 40  # every cell of the grid
    cells = table["variant"].nunique() - 1
    assert per_model["cochran_q"]["df"] == cells - 1
    assert per_model["pairwise_mcnemar"]["tests"] == cells * (cells - 1) // 2
