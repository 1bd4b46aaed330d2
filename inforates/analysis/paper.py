"""The 2025 study's protocol: per-class accuracies as independent groups (one-way ANOVA, Levene, Welch t-tests,
Cohen's d), kept for parity with its tables; and its summary statistics by coverage.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .pvalues import f_p
from .robustness import class_sensitivity


def eta_squared(groups: Sequence[np.ndarray]) -> float:
    """SS_between / SS_total of a one-way layout."""
    values = np.concatenate(groups)
    grand = values.mean()
    ss_between = sum(len(g) * (np.mean(g) - grand) ** 2 for g in groups)
    ss_total = ((values - grand) ** 2).sum()
    return float(ss_between / ss_total) if ss_total > 0 else math.nan


def cohens_d(a: np.ndarray, b: np.ndarray, ddof: int = 1) -> float:
    """(mean_a - mean_b) / sqrt((var_a + var_b) / 2), variances with ``ddof`` (the study used 1 and 0)."""
    pooled = math.sqrt((np.var(a, ddof=ddof) + np.var(b, ddof=ddof)) / 2)
    return float((np.mean(a) - np.mean(b)) / pooled) if pooled > 0 else math.nan


def _levels(per_class: pd.DataFrame, by: str, fixed: str, value: float) -> dict[float, np.ndarray]:
    data = per_class[per_class[fixed] == value]
    return {level: g["accuracy"].to_numpy(float) for level, g in data.groupby(by, sort=True)}


def paper_protocol(
    per_class: pd.DataFrame,
    stride: int = 8,
    coverage: float = 100,
    drop: tuple[float, float] = (100, 25),
    d_coverages: tuple[float, float] = (100, 10),
    d_strides: tuple[int, int] = (1, 16),
) -> dict:
    """The 2025 study's statistics on one model's per-class table, under the study's keys (see
    tests/data/reference/README.md and docs/statistics.md). An analysis whose levels are missing from the grid
    is reported as ``{"skipped": reason}``."""
    out: dict = {}
    by_cov = _levels(per_class, "coverage", "stride", stride)
    by_stride = _levels(per_class, "stride", "coverage", coverage)
    for key, groups, label in (
        ("anova_coverage", by_cov, f"coverages at stride {stride}"),
        ("anova_stride", by_stride, f"strides at coverage {coverage:g}"),
    ):
        if len(groups) < 2:
            out[key] = {"skipped": f"needs at least two {label}"}
            continue
        res = sps.f_oneway(*groups.values())
        df1, df2 = len(groups) - 1, sum(len(g) for g in groups.values()) - len(groups)
        out[key] = {"f_statistic": float(res.statistic), "p_value": float(res.pvalue),
                    "log10_p": f_p(res.statistic, df1, df2)[1], "df": [df1, df2],
                    "eta_squared": eta_squared(list(groups.values())), "levels": [float(x) for x in groups]}  # fmt: skip
    try:
        drops = class_sensitivity(per_class, *drop)["drop"]
        out["aliasing_sensitivity"] = {"mean_drop": float(drops.mean()), "std_drop": float(drops.std(ddof=1)),
                                       "max_drop": float(drops.max()), "min_drop": float(drops.min()),
                                       "coverages": [float(drop[0]), float(drop[1])]}  # fmt: skip
    except KeyError:
        out["aliasing_sensitivity"] = {"skipped": f"needs coverages {drop[0]:g} and {drop[1]:g}"}
    if len(by_cov) >= 2:
        res = sps.levene(*by_cov.values())
        df1, df2 = len(by_cov) - 1, sum(len(g) for g in by_cov.values()) - len(by_cov)
        out["variance_homogeneity"] = {"levene_statistic": float(res.statistic), "p_value": float(res.pvalue),
                                       "log10_p": f_p(res.statistic, df1, df2)[1]}  # fmt: skip
    else:
        out["variance_homogeneity"] = {"skipped": f"needs at least two coverages at stride {stride}"}
    effects = {}
    if all(c in by_cov for c in d_coverages):
        effects["aliasing_cohens_d"] = cohens_d(by_cov[d_coverages[0]], by_cov[d_coverages[1]])
    if all(s in by_stride for s in d_strides):
        effects["stride_cohens_d"] = cohens_d(by_stride[d_strides[0]], by_stride[d_strides[1]])
    effects["definition"] = (
        f"aliasing: coverage {d_coverages[0]:g} vs {d_coverages[1]:g} at stride {stride}; "
        f"stride: {d_strides[0]} vs {d_strides[1]} at coverage {coverage:g}; ddof=1"
    )
    out["effect_sizes"] = effects
    pairwise = paper_pairwise(per_class, stride)
    out["pairwise_coverage"] = pairwise.to_dict(orient="records")
    return out


def paper_pairwise(per_class: pd.DataFrame, stride: int = 8, alpha: float = 0.05) -> pd.DataFrame:
    """Welch t-tests between every pair of coverages at ``stride``, Bonferroni threshold ``alpha / pairs`` and
    Cohen's d with population variances (ddof 0), as in the study's ``pairwise_coverage_comparisons.csv``."""
    groups = _levels(per_class, "coverage", "stride", stride)
    pairs = list(itertools.combinations(sorted(groups), 2))
    rows = []
    for a, b in pairs:
        res = sps.ttest_ind(groups[a], groups[b], equal_var=False)
        rows.append({"comparison": f"{a:g}% vs {b:g}%", "coverage_a": a, "coverage_b": b,
                     "mean_diff": float(groups[a].mean() - groups[b].mean()), "t_statistic": float(res.statistic),
                     "p_value": float(res.pvalue), "cohens_d_ddof0": cohens_d(groups[a], groups[b], ddof=0)})  # fmt: skip
    table = pd.DataFrame(rows)
    if not table.empty:
        table["bonferroni_alpha"] = alpha / len(pairs)
        table["bonferroni_significant"] = table["p_value"] < alpha / len(pairs)
    return table


def summary_by_coverage(per_class: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per (model, stride, coverage): N classes, mean, std (ddof 1), min, max of per-class accuracy and the
    study's normal-approximation CI of the mean (mean +- z * std / sqrt(N))."""
    keys = [k for k in ("model", "stride", "coverage") if k in per_class.columns]
    table = per_class.groupby(keys)["accuracy"].agg(n="size", mean="mean", std="std", min="min", max="max")
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    half = z * table["std"] / np.sqrt(table["n"])
    table["ci_low"], table["ci_high"] = table["mean"] - half, table["mean"] + half
    return table.reset_index()
