"""inforates.analysis' statistics against independent computations: statsmodels/scipy called directly, textbook formulas
written out here, and hand-worked cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.proportion import proportion_confint
from test_stats_simulation import simulate_predictions, simulate_synthetic

from inforates import schema
from inforates.analysis import accuracy, nyquist, paired, paper, robustness


def _holm(p):
    """Holm step-down, written out."""
    p = np.asarray(p, float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def _predictions(matrix: dict[str, list[int]], model: str = "m", variants=None) -> pd.DataFrame:
    """Long predictions from {variant: [correct per video]} (coverage/stride parsed from cov<c>_s<s>)."""
    rows = []
    for variant, outcomes in matrix.items():
        cov, stride = variant[3:].split("_s")
        for i, ok in enumerate(outcomes):
            rows.append({"model": model, "video_id": f"v{i}", "label": i % 3, "class_name": f"c{i % 3}",
                         "group": "", "variant": variant, "sampler": "coverage_stride", "coverage": float(cov),
                         "stride": int(stride), "anchor": "start", "correct": bool(ok)})  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (80, 100), (100, 100), (1, 1), (517, 1000)])
def test_wilson_interval_matches_statsmodels(k, n):
    low, high = schema.wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(ref_low, abs=1e-12) and high == pytest.approx(ref_high, abs=1e-12)
    low90, high90 = schema.wilson_interval(k, n, confidence=0.90)
    ref90 = proportion_confint(k, n, alpha=0.10, method="wilson")
    assert (low90, high90) == pytest.approx(ref90, abs=1e-12)


def test_wilson_interval_edge_cases():
    assert all(math.isnan(x) for x in schema.wilson_interval(0, 0))
    with pytest.raises(ValueError):
        schema.wilson_interval(5, 3)


def test_holm_matches_written_out_procedure():
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.0001])
    assert paired.holm(p) == pytest.approx(_holm(p))
    with_nan = paired.holm([0.01, np.nan, 0.04])
    assert np.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx(_holm([0.01, 0.04]))


@pytest.mark.parametrize("b,c", [(0, 0), (3, 9), (10, 2), (12, 12), (30, 14), (5, 40), (100, 80)])
def test_mcnemar_counts_match_statsmodels(b, c):
    row = paired.mcnemar_counts(np.array([b]), np.array([c])).iloc[0]
    table = [[50, b], [c, 50]]
    if b + c == 0:
        assert row["p_value"] == 1.0
        return
    exact = b + c < 25
    ref = sm_mcnemar(table, exact=exact, correction=True)
    assert row["test"] == ("exact" if exact else "chi2")
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-9)


def test_pairwise_mcnemar_counts_discordant_videos_by_hand():
    outcomes = {
        "cov100_s1": [1, 1, 1, 1, 1, 1, 0, 0, 1, 1],
        "cov50_s1": [1, 0, 0, 1, 1, 0, 0, 1, 1, 0],
        "cov25_s1": [0, 0, 0, 0, 1, 0, 0, 0, 1, 0],
    }
    table = paired.pairwise_mcnemar(_predictions(outcomes), "m")
    assert len(table) == 3
    p_raw = []
    for row in table.itertuples():
        a, b = np.array(outcomes[row.variant_a]), np.array(outcomes[row.variant_b])
        assert row.b == int(((a == 1) & (b == 0)).sum()) and row.c == int(((a == 0) & (b == 1)).sum())
        ref = sm_mcnemar([[0, row.b], [row.c, 0]], exact=True)
        assert row.p_value == pytest.approx(ref.pvalue)
        assert row.accuracy_a == pytest.approx(a.mean())
        p_raw.append(ref.pvalue)
    assert table["p_holm"].to_numpy() == pytest.approx(_holm(p_raw))


def test_cochran_q_matches_textbook_formula():
    pred = simulate_predictions(n_classes=4, videos_per_class=15, seed=3)
    x = pred[pred["model"] == "gamma"].pivot(index="video_id", columns="variant", values="correct").to_numpy(int)
    k = x.shape[1]
    col, row, total = x.sum(0), x.sum(1), x.sum()
    q = (k - 1) * (k * (col**2).sum() - total**2) / (k * total - (row**2).sum())
    got = paired.cochran_q(pred, "gamma")
    assert got["statistic"] == pytest.approx(q)
    assert got["df"] == k - 1 and got["p_value"] == pytest.approx(sps.chi2.sf(q, k - 1))


def test_friedman_test_kendalls_w_and_nemenyi_by_hand():
    rng = np.random.default_rng(0)
    blocks = pd.DataFrame(rng.random((30, 4)) + np.array([0.0, 0.1, 0.3, 0.35]), columns=list("abcd"))
    got = paired.friedman_test(blocks)
    n, k = blocks.shape
    ranks = blocks.rank(axis=1, ascending=False)  # 1 = best (highest accuracy)
    rank_sums = ranks.sum()
    chi2 = 12 / (n * k * (k + 1)) * (rank_sums**2).sum() - 3 * n * (k + 1)  # no ties in continuous data
    assert got["statistic"] == pytest.approx(chi2)
    s = ((rank_sums - rank_sums.mean()) ** 2).sum()
    assert got["kendalls_w"] == pytest.approx(12 * s / (n**2 * (k**3 - k)))
    assert got["mean_ranks"] == pytest.approx((rank_sums / n).to_dict())
    # Nemenyi: q = |R_i - R_j| / sqrt(k (k + 1) / (6 n)) on mean ranks, p from the studentized range.
    for a, b in itertools.combinations("abcd", 2):
        q = abs(ranks[a].mean() - ranks[b].mean()) / math.sqrt(k * (k + 1) / (6 * n))
        p = sps.studentized_range.sf(q * math.sqrt(2), k, np.inf)
        assert got["nemenyi"].loc[a, b] == pytest.approx(p, abs=2e-3)


def test_model_mcnemar_pairs_videos_within_each_variant():
    first = _predictions({"cov100_s1": [1, 1, 1, 0, 1, 1], "cov25_s1": [1, 0, 0, 0, 1, 0]}, "a")
    second = _predictions({"cov100_s1": [1, 0, 1, 1, 0, 0], "cov25_s1": [1, 1, 1, 1, 1, 1]}, "b")
    table = paired.model_mcnemar(pd.concat([first, second]))
    assert list(table["variant"]) == ["cov25_s1", "cov100_s1"]  # grid order
    full = table.set_index("variant").loc["cov100_s1"]
    assert (full["b"], full["c"]) == (3, 1)  # a right & b wrong: videos 1, 4, 5; the reverse: video 3
    assert full["p_value"] == pytest.approx(sm_mcnemar([[0, 3], [1, 0]], exact=True).pvalue)
    assert table["p_holm"].to_numpy() == pytest.approx(_holm(table["p_value"]))


def test_logistic_interaction_matches_glm_and_hand_wald():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    pred = simulate_predictions(n_classes=6, videos_per_class=20, seed=5)
    got = paired.logistic_interaction(pred)
    data = pred.assign(correct=pred["correct"].astype(float), log2_stride=np.log2(pred["stride"]))
    glm = smf.glm(got["formula"], data=data, family=sm.families.Binomial())
    ref = glm.fit(cov_type="cluster", cov_kwds={"groups": accuracy.cluster_ids(pred).factorize()[0],
                                                "use_correction": False})  # fmt: skip
    coef = got["coefficients"]
    assert coef["coef"].to_numpy() == pytest.approx(ref.params.to_numpy(), rel=1e-4, abs=1e-6)
    assert coef["se"].to_numpy() == pytest.approx(ref.bse.to_numpy(), rel=1e-3)
    idx = [i for i, name in enumerate(ref.params.index) if name.startswith("C(model)") and "C(coverage)" in name]
    b, v = ref.params.to_numpy()[idx], ref.cov_params().to_numpy()[np.ix_(idx, idx)]
    chi2 = float(b @ np.linalg.solve(v, b))
    test = got["interaction_tests"]["model_x_coverage"]
    assert test["df"] == len(idx) == 8
    assert test["chi2"] == pytest.approx(chi2, rel=1e-3)
    assert test["p_value"] < 1e-6  # gamma loses far more with coverage than beta: the model must see it


def test_logistic_interaction_is_quiet_without_interaction():
    same = (0.85, 0.2, 0.05)
    pred = simulate_predictions({"a": same, "b": (0.80, 0.2, 0.05)}, n_classes=6, videos_per_class=20, seed=8)
    tests = paired.logistic_interaction(pred)["interaction_tests"]
    assert tests["model_x_stride"]["df"] == 1 and tests["model_x_coverage"]["df"] == 4
    # True interaction on the probability scale is nil (parallel curves), small on the logit scale.
    assert tests["model_x_coverage"]["p_value"] > 0.01


def test_accuracy_by_variant_intervals_and_nested_clusters():
    pred = simulate_predictions(n_classes=4, videos_per_class=12, groups_per_class=3, seed=2)
    table = accuracy.accuracy_by_variant(pred, n_boot=300, seed=1)
    assert len(table) == 3 * 25
    by_hand = pred.groupby(["model", "variant"])["correct"].agg(["sum", "size"])
    for row in table.itertuples():
        k, n = by_hand.loc[(row.model, row.variant)]
        assert (row.correct, row.total, row.accuracy) == (k, n, pytest.approx(k / n))
        assert (row.ci_low, row.ci_high) == pytest.approx(schema.wilson_interval(int(k), int(n)))
        assert row.boot_low <= row.accuracy <= row.boot_high
    assert (table["n_clusters"] == 4 * 3).all()  # g01 of class 0 and g01 of class 1 are different clusters


def test_bootstrap_draws_are_paired_across_models():
    pred = simulate_predictions({"a": (0.8, 0.2, 0.0)}, n_classes=3, videos_per_class=10, seed=4)
    twin = pred.assign(model="b")
    draws, models, _ = accuracy.bootstrap_accuracies(pd.concat([pred, twin]), n_boot=50, seed=0)
    assert models == ["a", "b"]
    np.testing.assert_array_equal(draws[:, 0], draws[:, 1])


def test_normalised_auc_and_ranking_by_hand():
    assert robustness.normalised_auc([10, 50, 100], [0.5, 0.7, 0.9]) == pytest.approx(
        ((0.5 + 0.7) / 2 * 40 + (0.7 + 0.9) / 2 * 50) / 90
    )
    pred = simulate_predictions(n_classes=4, videos_per_class=10, seed=6)
    results = schema.results_table(pred)
    ranking = robustness.auc_ranking(results, pred, n_boot=200, seed=0)
    for row in ranking.itertuples():
        curve = results[results["model"] == row.model].groupby("coverage")["accuracy"].mean()
        x, y = curve.index.to_numpy(), curve.to_numpy()
        area = sum((y[i] + y[i + 1]) / 2 * (x[i + 1] - x[i]) for i in range(len(x) - 1)) / (x[-1] - x[0])
        assert row.auc == pytest.approx(area)
        assert row.auc_low <= row.auc <= row.auc_high
    assert ranking["auc"].is_monotonic_decreasing and "relative_auc" not in ranking and "rank" not in ranking
    # each video's own AUC averages to the model's: the paired tests compare the very quantity ranked
    per_video = robustness.per_video_auc(pred).groupby("model")["auc"].mean()
    assert per_video.to_dict() == pytest.approx(ranking.set_index("model")["auc"].to_dict())


def test_auc_differences_test_the_pairs_on_the_same_videos():
    pred = simulate_predictions(n_classes=4, videos_per_class=10, seed=6)
    per_video = robustness.per_video_auc(pred)
    pairs = robustness.auc_differences(per_video, n_boot=200).set_index(["model_a", "model_b"])
    wide = per_video.pivot(index=["video_id", "cluster"], columns="model", values="auc")
    from scipy import stats as sps

    for (a, b), row in pairs.iterrows():
        difference = wide[a] - wide[b]
        assert row["difference"] == pytest.approx(difference.mean())
        assert row["ci_low"] <= row["difference"] <= row["ci_high"]
        by_group = difference.groupby(level="cluster").mean()  # the unit: a source group of videos
        assert row["n_clusters"] == len(by_group) < row["n_videos"]
        assert row["p_value"] == pytest.approx(sps.wilcoxon(by_group, method="approx").pvalue, rel=1e-6)


def _results(model: str, cells: dict[tuple[float, int], float]) -> pd.DataFrame:
    return pd.DataFrame([{"model": model, "coverage": c, "stride": s, "accuracy": a} for (c, s), a in cells.items()])


def test_aliasing_drop_and_critical_coverage_by_hand():
    cells = {(25, 1): 0.60, (50, 1): 0.79, (100, 1): 0.80, (25, 4): 0.50, (50, 4): 0.70, (100, 4): 0.75}
    results = _results("m", cells)
    drop = robustness.aliasing_drop(results).set_index("stride")["drop"]
    assert drop[1] == pytest.approx(0.20) and drop[4] == pytest.approx(0.25) and drop["mean"] == pytest.approx(0.225)
    crit = robustness.critical_coverage(results, margin=0.02).iloc[0]
    assert crit["best_accuracy"] == 0.80 and crit["critical_coverage"] == 50  # 0.79 >= 0.80 - 0.02
    assert crit["critical_coverage_s4"] == 100  # 0.70 < 0.75 - 0.02
    assert robustness.critical_coverage(results, margin=0.25).iloc[0]["critical_coverage"] == 25
    with pytest.raises(ValueError, match="coverages"):
        robustness.aliasing_drop(results, low=10)


def test_critical_coverage_is_defined_for_a_curve_that_falls_with_coverage():
    """Best at 10 %, far lower at 100 %: no coverage keeps the model near its best all the way up (not '10 %')."""
    falling = _results("m", {(10, 1): 0.98, (25, 1): 0.67, (50, 1): 0.51, (100, 1): 0.40})
    row = robustness.critical_coverage(falling).iloc[0]
    assert math.isnan(row["critical_coverage"]) and row["best_coverage"] == 10
    dip = _results("m", {(10, 1): 0.90, (25, 1): 0.50, (50, 1): 0.89, (100, 1): 0.90})
    assert robustness.critical_coverage(dip).iloc[0]["critical_coverage"] == 50  # from 50 % on, not from 10 %


def test_class_sensitivity_tiers_at_documented_thresholds():
    rows = []
    changes = {"flat": (0.9, 0.88), "edge": (0.9, 0.85), "mid": (0.9, 0.8), "steep": (0.9, 0.5), "gain": (0.6, 0.9)}
    for cls, (hi, lo) in changes.items():
        for stride in (1, 8):
            rows += [{"class": cls, "coverage": 100.0, "stride": stride, "accuracy": hi},
                     {"class": cls, "coverage": 25.0, "stride": stride, "accuracy": lo}]  # fmt: skip
    table = robustness.class_sensitivity(pd.DataFrame(rows)).set_index("class")
    assert table.loc["steep", "drop"] == pytest.approx(0.4)
    # the size of the change either way: a class 0.3 better at 25 % is not "robust"
    assert table["tier"].to_dict() == {"steep": "large", "mid": "moderate", "edge": "moderate", "flat": "stable",
                                       "gain": "large"}  # fmt: skip
    assert table["direction"].to_dict() == {"steep": "loss", "mid": "loss", "edge": "loss", "flat": "loss",
                                            "gain": "gain"}  # fmt: skip
    assert list(table.index) == ["steep", "mid", "edge", "flat", "gain"]  # largest loss first


def test_eta_squared_matches_ols_anova_table():
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    rng = np.random.default_rng(1)
    df = pd.DataFrame({"g": np.repeat(list("abcd"), 25), "y": rng.normal(0, 1, 100) + np.repeat([0, 0.3, 0.5, 1], 25)})
    table = anova_lm(smf.ols("y ~ C(g)", df).fit())
    expected = table.loc["C(g)", "sum_sq"] / table["sum_sq"].sum()
    groups = [g["y"].to_numpy() for _, g in df.groupby("g")]
    assert paper.eta_squared(groups) == pytest.approx(expected)


def test_cohens_d_both_variants_by_hand():
    a, b = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 5.0])
    var1 = lambda x: sum((v - x.mean()) ** 2 for v in x) / (len(x) - 1)  # noqa: E731
    var0 = lambda x: sum((v - x.mean()) ** 2 for v in x) / len(x)  # noqa: E731
    assert paper.cohens_d(a, b) == pytest.approx((2.5 - 3.0) / math.sqrt((var1(a) + var1(b)) / 2))
    assert paper.cohens_d(a, b, ddof=0) == pytest.approx((2.5 - 3.0) / math.sqrt((var0(a) + var0(b)) / 2))


def test_summary_by_coverage_uses_normal_interval():
    per_class = pd.DataFrame({"model": "m", "class": list("abcd"), "coverage": 10.0, "stride": 8,
                              "accuracy": [0.2, 0.4, 0.6, 1.0]})  # fmt: skip
    row = paper.summary_by_coverage(per_class).iloc[0]
    sd = np.std([0.2, 0.4, 0.6, 1.0], ddof=1)
    assert (row["n"], row["mean"], row["min"], row["max"]) == (4, pytest.approx(0.55), 0.2, 1.0)
    assert row["ci_high"] - row["mean"] == pytest.approx(1.959963984540054 * sd / 2)


def test_nyquist_check_counts_and_verdict():
    def clip(frac_x, right, distinct=8, f_hz=1.0):
        spacing = frac_x * 25.0 / f_hz  # x = f * spacing / fps
        truth = "square_cw"
        return {"model": "m", "class_name": truth, "pred_class": truth if right else "square_ccw",
                "f_hz": f_hz, "fps": 25.0, "median_spacing": spacing, "distinct_frames": distinct}  # fmt: skip

    base = [clip(0.2, True)] * 9 + [clip(0.3, False)] + [clip(0.7, False)] * 4 + [clip(0.8, True)]
    # ten videos, each with two clips below the limit and one past it (the within-video pairs)
    paired = [{**row, "video_id": f"v{5 * r + i % 5}"} for r in range(2) for i, row in enumerate(base)]
    rows = paired + [clip(0.2, False, distinct=2)] * 5 + [clip(0.95, True)] * 3 + [clip(0.5, True)]  # not counted
    rows += [{**clip(0.2, False), "f_hz": np.nan}] * 5
    rows = [{"video_id": "other", **row} for row in rows]
    got = nyquist.nyquist_check(pd.DataFrame(rows))
    within = got["within_video"]
    assert within["n_videos"] == 10 and within["below"] == pytest.approx(0.9) and within["above"] == pytest.approx(0.2)
    assert within["ci_low"] > 0 and within["p_value"] < 0.05
    assert (got["below_nyquist_n"], got["above_nyquist_n"]) == (20, 10)
    assert got["below_nyquist_accuracy"] == pytest.approx(0.9) and got["above_nyquist_accuracy"] == pytest.approx(0.2)
    assert got["passed"] and got["verdict"] == "PASS"
    assert not nyquist.nyquist_check(pd.DataFrame(rows), min_below_accuracy=0.95)["passed"]
    assert not nyquist.nyquist_check(pd.DataFrame(rows), max_above_accuracy=0.1)["passed"]
    assert nyquist.nyquist_check(pd.DataFrame(rows), min_distinct=2)["below_nyquist_n"] == 25
    assert got["models"] == ["m"] and got["excluded"] == {}

    guesser = [{**row, "model": "g", "pred_class": "square_ccw"} for row in rows[:30]]  # always one direction
    pooled = nyquist.nyquist_check(pd.DataFrame(rows + guesser))
    assert pooled["below_nyquist_n"] == 40 and not pooled["passed"]
    alone = nyquist.nyquist_check(pd.DataFrame(rows + guesser), exclude={"g": "guesses"})
    assert {k: alone[k] for k in got if k != "excluded"} == {k: got[k] for k in got if k != "excluded"}
    assert alone["excluded"] == {"g": "guesses"}
    # a video counts once however many models are pooled: the guesser's videos are the same ten
    assert pooled["within_video"]["n_videos"] == 10 and pooled["within_video"]["n_model_videos"] == 20


def test_direction_accuracy_per_model():
    df = pd.DataFrame(
        {
            "model": ["a", "a", "a", "a", "b", "b"],
            "class_name": ["dot_cw", "dot_ccw", "bar_cw", "bar_cw", "dot_cw", "dot_cw"],
            "pred_class": ["bar_cw", "dot_cw", "bar_cw", "dot_ccw", "dot_cw", "dot_cw"],
        }
    )
    assert nyquist.direction_accuracy(df).to_dict() == {"a": 0.5, "b": 1.0}


def test_nyquist_check_on_simulated_benchmark():
    pred = simulate_synthetic(n_videos=60)
    table = nyquist.aliasing_table(pred)
    frac = table["frac_x"]
    assert table["direction_correct"][frac < 0.5].all() and not table["direction_correct"][frac > 0.5].any()
    assert nyquist.nyquist_check(pred)["verdict"] == "PASS"
    flipped = pred.assign(pred_class=pred["class_name"])  # a model that never aliases fails the check
    assert nyquist.nyquist_check(flipped)["verdict"] == "FAIL"


def test_primary_grid_prefers_coverage_stride_start():
    pred = _predictions({"cov100_s1": [1, 0], "cov50_s1": [1, 1]})
    other = pred.assign(sampler="dense", variant="dense_" + pred["variant"])
    grid = schema.primary_grid(pd.concat([other, pred, other.assign(anchor="center")]))
    assert set(grid["sampler"]) == {"coverage_stride"} and len(grid) == 4
