"""The 2025 study's protocol on its own published tables, checked against computations written out here.

The tables ship with the tests, unchanged, in ``tests/data/reference/inforates-2025`` (their README beside them).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from inforates.analysis import paper
from inforates.analysis.reference_tables import read_reference_folder


REFERENCE = Path(__file__).resolve().parent / "data" / "reference" / "inforates-2025"


def _welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Welch's t and two-sided p, from the textbook formulas."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return t, 2 * sps.t.sf(abs(t), df)


def _anova(groups: list[np.ndarray]) -> tuple[float, float, float]:
    """One-way ANOVA F, p and eta^2 from sums of squares."""
    values = np.concatenate(groups)
    grand = values.mean()
    ssb = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
    ssw = sum(((g - g.mean()) ** 2).sum() for g in groups)
    dfb, dfw = len(groups) - 1, len(values) - len(groups)
    f = (ssb / dfb) / (ssw / dfw)
    return f, sps.f.sf(f, dfb, dfw), ssb / (ssb + ssw)


def _levene_median(groups: list[np.ndarray]) -> float:
    """Brown-Forsythe (median-centred Levene): one-way ANOVA F on |x - median|."""
    return _anova([np.abs(g - np.median(g)) for g in groups])[0]


def _d(a: np.ndarray, b: np.ndarray, ddof: int) -> float:
    return (a.mean() - b.mean()) / math.sqrt((a.var(ddof=ddof) + b.var(ddof=ddof)) / 2)


def _check_model(per_class: pd.DataFrame) -> None:
    got = paper.paper_protocol(per_class)
    s8 = per_class[per_class["stride"] == 8]
    by_cov = [s8[s8["coverage"] == c]["accuracy"].to_numpy() for c in (10, 25, 50, 75, 100)]
    f, p, eta = _anova(by_cov)
    assert got["anova_coverage"]["f_statistic"] == pytest.approx(f, rel=1e-9)
    assert got["anova_coverage"]["p_value"] == pytest.approx(p, rel=1e-6)
    assert got["anova_coverage"]["eta_squared"] == pytest.approx(eta, rel=1e-9)
    c100 = per_class[per_class["coverage"] == 100]
    by_stride = [c100[c100["stride"] == s]["accuracy"].to_numpy() for s in (1, 2, 4, 8, 16)]
    f, p, eta = _anova(by_stride)
    assert got["anova_stride"]["f_statistic"] == pytest.approx(f, rel=1e-9)
    assert got["anova_stride"]["eta_squared"] == pytest.approx(eta, rel=1e-9)
    # Aliasing drop per class: mean over strides of (acc at 100 %) - (acc at 25 %), matched by class name.
    drops = []
    for _cls, g in per_class.groupby("class"):
        hi = g[g["coverage"] == 100].set_index("stride")["accuracy"]
        lo = g[g["coverage"] == 25].set_index("stride")["accuracy"]
        drops.append((hi - lo).mean())
    drops = np.array(drops)
    sens = got["aliasing_sensitivity"]
    assert sens["mean_drop"] == pytest.approx(drops.mean()) and sens["std_drop"] == pytest.approx(drops.std(ddof=1))
    assert (sens["max_drop"], sens["min_drop"]) == (pytest.approx(drops.max()), pytest.approx(drops.min()))
    assert got["variance_homogeneity"]["levene_statistic"] == pytest.approx(_levene_median(by_cov), rel=1e-9)
    effects = got["effect_sizes"]
    assert effects["aliasing_cohens_d"] == pytest.approx(_d(by_cov[4], by_cov[0], ddof=1))
    assert effects["stride_cohens_d"] == pytest.approx(_d(by_stride[0], by_stride[4], ddof=1))
    pairwise = pd.DataFrame(got["pairwise_coverage"])
    assert len(pairwise) == 10
    for row, (i, j) in zip(pairwise.itertuples(), itertools.combinations(range(5), 2)):
        t, p = _welch(by_cov[i], by_cov[j])
        assert row.t_statistic == pytest.approx(t, rel=1e-9) and row.p_value == pytest.approx(p, rel=1e-6)
        assert row.cohens_d_ddof0 == pytest.approx(_d(by_cov[i], by_cov[j], ddof=0))
        assert row.bonferroni_significant == (p < 0.05 / 10)


@pytest.mark.parametrize("model", ["timesformer", "videomae", "vivit"])
def test_paper_protocol_on_ucf101_tables(model):
    tables = read_reference_folder(REFERENCE / "ucf101")
    per_class = tables[model].per_class
    assert len(per_class) == 101 * 25 and per_class["class"].nunique() == 101
    _check_model(per_class)


def test_paper_protocol_on_kinetics400_tables():
    tables = read_reference_folder(REFERENCE / "kinetics400")
    for model, t in tables.items():
        assert len(t.per_class) == 400 * 25, model
        _check_model(t.per_class)


def test_legacy_results_keep_the_published_counts():
    folder = REFERENCE / "ucf101"
    tables = read_reference_folder(folder)
    assert sorted(tables) == ["timesformer", "videomae", "vivit"]
    raw = pd.read_csv(folder / "videomae_temporal_sampling.csv")
    results = tables["videomae"].results
    assert (results["correct"].to_numpy() == raw["correct"].to_numpy()).all()
    assert results["variant"].iloc[0] == f"cov{raw['coverage'].iloc[0]:g}_s{raw['stride'].iloc[0]}"
    assert (results["ci_low"] <= results["accuracy"]).all() and (results["accuracy"] <= results["ci_high"]).all()


def test_paper_protocol_reports_missing_levels():
    per_class = pd.DataFrame({"class": list("abab"), "coverage": [50.0, 50.0, 100.0, 100.0], "stride": 2,
                              "accuracy": [0.5, 0.6, 0.7, 0.9]})  # fmt: skip
    got = paper.paper_protocol(per_class)
    assert "skipped" in got["anova_coverage"] and "skipped" in got["aliasing_sensitivity"]
    assert got["pairwise_coverage"] == []
    at_stride_2 = paper.paper_protocol(per_class, stride=2, d_coverages=(100, 50))
    assert at_stride_2["anova_coverage"]["levels"] == [50.0, 100.0]
    assert at_stride_2["effect_sizes"]["aliasing_cohens_d"] == pytest.approx(
        _d(np.array([0.7, 0.9]), np.array([0.5, 0.6]), ddof=1)
    )
