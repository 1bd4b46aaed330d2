"""Statistics for temporal-sampling results. Pure pandas/numpy/scipy/statsmodels/scikit-posthocs: no model code.

Inputs are the result tables of docs/design.md: ``predictions`` (one row per video x variant, any number of
models), ``results`` (one row per variant) and ``per_class`` (``class,coverage,stride,accuracy,n_samples``).
Every function takes and returns DataFrames or plain dicts; docs/statistics.md says what each one computes.

    >>> lo, hi = wilson_interval(80, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.7112, 0.8666)
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]

Paired analyses (the default) use that every model sees the same videos under every variant:
``accuracy_by_variant`` (Wilson + cluster-bootstrap CIs), ``cochran_q``, ``pairwise_mcnemar``,
``model_mcnemar``, ``friedman_test``, ``logistic_interaction``, ``auc_ranking``. Robustness summaries:
``aliasing_drop``, ``critical_coverage``, ``class_sensitivity``. The 2025 study's protocol: ``paper_protocol``,
``paper_pairwise``, ``summary_by_coverage``. The synthetic benchmark's check: ``nyquist_check``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .aliasing import aliasing_x, direction_of, frac


# Per-class sensitivity tiers by aliasing drop (accuracy at 100 % minus 25 % coverage, mean over strides).
TIER_THRESHOLDS = (0.05, 0.15)  # drop < 0.05: robust; 0.05 <= drop < 0.15: moderate; >= 0.15: sensitive
MCNEMAR_EXACT_BELOW = 25  # exact binomial McNemar when the discordant pairs number fewer than this


# ---------------------------------------------------------------------------------------------------------------
# Basics
# ---------------------------------------------------------------------------------------------------------------
def wilson_interval(correct: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``correct / total``; ``(nan, nan)`` when ``total == 0``."""
    if total <= 0:
        return (math.nan, math.nan)
    if not 0 <= correct <= total:
        raise ValueError(f"correct must be in [0, total], got correct={correct}, total={total}")
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    p = correct / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == total else min(1.0, centre + half)
    return (low, high)


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (NaNs stay NaN and are not counted)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        from statsmodels.stats.multitest import multipletests

        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def primary_grid(predictions: pd.DataFrame) -> pd.DataFrame:
    """The coverage x stride grid: rows of one sampler/anchor (``coverage_stride``/``start`` when present, else
    the most frequent pair). Tables without sampler/anchor columns are returned unchanged."""
    if not {"sampler", "anchor"} <= set(predictions.columns):
        return predictions
    pairs = predictions.groupby(["sampler", "anchor"]).size().sort_values(ascending=False)
    pair = ("coverage_stride", "start") if ("coverage_stride", "start") in pairs.index else pairs.index[0]
    return predictions[(predictions["sampler"] == pair[0]) & (predictions["anchor"] == pair[1])]


def cluster_ids(predictions: pd.DataFrame) -> pd.Series:
    """Resampling unit per row: the source group within its class (UCF-101's ``gXX``) when ``group`` is set,
    else the video. Groups are taken as nested in classes: ``g08`` of two classes are different clusters."""
    video = "v:" + predictions["video_id"].astype(str)
    if "group" not in predictions.columns:
        return video
    group = predictions["group"].fillna("").astype(str)
    label = predictions["label"].astype(str) if "label" in predictions.columns else ""
    return video.where(group == "", "g:" + label + "/" + group)


def variant_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Unique variants with their grid columns, ordered by sampler, anchor, coverage, stride."""
    cols = [c for c in ("variant", "sampler", "coverage", "stride", "anchor") if c in predictions.columns]
    table = predictions[cols].drop_duplicates("variant")
    order = [c for c in ("sampler", "anchor", "coverage", "stride") if c in cols]
    return table.sort_values(order).reset_index(drop=True)


def correctness_matrix(predictions: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """Videos x variants of 0/1 correctness for one model; videos missing any variant are dropped."""
    df = predictions if model is None else predictions[predictions["model"] == model]
    order = variant_table(df)["variant"].tolist()
    wide = df.pivot_table(index="video_id", columns="variant", values="correct", aggfunc="first")
    return wide.reindex(columns=order).dropna().astype(int)


def per_class_accuracy(predictions: pd.DataFrame) -> pd.DataFrame:
    """The 2025 per-class table (plus ``model``) from predictions of the coverage x stride grid."""
    grid = primary_grid(predictions)
    keys = ["model", "class_name", "coverage", "stride"]
    table = grid.groupby(keys, sort=True)["correct"].agg(accuracy="mean", n_samples="size").reset_index()
    return table.rename(columns={"class_name": "class"})


def results_from_predictions(predictions: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per (model, variant): correct, total, accuracy and its Wilson interval."""
    keys = ["model", *variant_table(predictions).columns]
    table = predictions.groupby(keys, sort=False)["correct"].agg(correct="sum", total="size").reset_index()
    table["accuracy"] = table["correct"] / table["total"]
    ci = [wilson_interval(int(c), int(t), confidence) for c, t in zip(table["correct"], table["total"])]
    table["ci_low"], table["ci_high"] = [c[0] for c in ci], [c[1] for c in ci]
    return table


# ---------------------------------------------------------------------------------------------------------------
# Accuracy with confidence intervals (Wilson and cluster bootstrap)
# ---------------------------------------------------------------------------------------------------------------
def _cluster_sums(predictions: pd.DataFrame, variants: list[str], models: list[str]):
    """Correct counts and clip counts per (model, cluster, variant): two arrays of shape (M, K, V)."""
    clusters = cluster_ids(predictions)
    k_index = pd.Index(clusters.unique())
    k = k_index.get_indexer(clusters)
    v = pd.Index(variants).get_indexer(predictions["variant"])
    m = pd.Index(models).get_indexer(predictions["model"])
    keep = (v >= 0) & (m >= 0)
    shape = (len(models), len(k_index), len(variants))
    correct, count = np.zeros(shape), np.zeros(shape)
    np.add.at(correct, (m[keep], k[keep], v[keep]), predictions["correct"].to_numpy(float)[keep])
    np.add.at(count, (m[keep], k[keep], v[keep]), 1.0)
    return correct, count


def bootstrap_accuracies(
    predictions: pd.DataFrame, n_boot: int = 1000, seed: int = 0, batch: int = 250
) -> tuple[np.ndarray, list[str], list[str]]:
    """Cluster bootstrap of accuracy: returns ``(draws (n_boot, M, V), models, variants)``.

    Each draw resamples clusters (videos, or source groups) with replacement, the *same* clusters for every
    model and variant, so differences between models or variants keep their pairing.
    """
    models = list(dict.fromkeys(predictions["model"]))
    variants = variant_table(predictions)["variant"].tolist()
    correct, count = _cluster_sums(predictions, variants, models)
    n_clusters = correct.shape[1]
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, len(models), len(variants)))
    for start in range(0, n_boot, batch):
        size = min(batch, n_boot - start)
        picks = rng.integers(0, n_clusters, (size, n_clusters)) + n_clusters * np.arange(size)[:, None]
        weights = np.bincount(picks.ravel(), minlength=size * n_clusters).reshape(size, n_clusters).astype(float)
        num = np.einsum("bk,mkv->bmv", weights, correct)
        den = np.einsum("bk,mkv->bmv", weights, count)
        with np.errstate(invalid="ignore", divide="ignore"):
            draws[start : start + size] = num / den
    return draws, models, variants


def accuracy_by_variant(
    predictions: pd.DataFrame, confidence: float = 0.95, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Per (model, variant): accuracy, Wilson interval (``ci_low/ci_high``) and percentile cluster-bootstrap
    interval (``boot_low/boot_high``; resampling videos, or groups when ``group`` is set).

    >>> df = pd.DataFrame({"model": "m", "video_id": list("abcd"), "variant": "cov100_s1", "coverage": 100.0,
    ...                    "stride": 1, "correct": [1, 1, 1, 0], "group": ""})
    >>> accuracy_by_variant(df, n_boot=200)[["accuracy", "correct", "total"]].values.tolist()
    [[0.75, 3.0, 4.0]]
    """
    table = results_from_predictions(predictions, confidence)
    draws, models, variants = bootstrap_accuracies(predictions, n_boot, seed)
    alpha = (1 - confidence) / 2
    low = np.nanquantile(draws, alpha, axis=0)
    high = np.nanquantile(draws, 1 - alpha, axis=0)
    m = pd.Index(models).get_indexer(table["model"])
    v = pd.Index(variants).get_indexer(table["variant"])
    table["boot_low"], table["boot_high"] = low[m, v], high[m, v]
    table["n_clusters"] = (
        cluster_ids(predictions).groupby(predictions["model"]).nunique().reindex(table["model"]).values
    )
    return table


# ---------------------------------------------------------------------------------------------------------------
# Paired tests within a model
# ---------------------------------------------------------------------------------------------------------------
def cochran_q(predictions: pd.DataFrame, model: str | None = None) -> dict:
    """Cochran's Q: do the variants differ in accuracy on the same videos? (statsmodels ``cochrans_q``)."""
    from statsmodels.stats.contingency_tables import cochrans_q as _cochrans_q

    matrix = correctness_matrix(predictions, model)
    res = _cochrans_q(matrix.to_numpy())
    return {"statistic": float(res.statistic), "df": int(res.df), "p_value": float(res.pvalue), "n": len(matrix)}


def mcnemar_counts(b: np.ndarray, c: np.ndarray, exact_below: int = MCNEMAR_EXACT_BELOW) -> pd.DataFrame:
    """McNemar tests from discordant counts ``b`` (first right, second wrong) and ``c`` (the reverse).

    Exact two-sided binomial test when ``b + c < exact_below``, else chi-square with continuity correction;
    p = 1 when there is no discordant pair.
    """
    b, c = np.asarray(b, float), np.asarray(c, float)
    n = b + c
    exact = n < exact_below
    chi2 = np.where(n > 0, (np.abs(b - c) - 1).clip(min=0) ** 2 / np.where(n > 0, n, 1), 0.0)
    p_chi2 = sps.chi2.sf(chi2, 1)
    p_exact = np.minimum(1.0, 2 * sps.binom.cdf(np.minimum(b, c), n, 0.5))
    p = np.where(n == 0, 1.0, np.where(exact, p_exact, p_chi2))
    return pd.DataFrame(
        {
            "b": b.astype(int),
            "c": c.astype(int),
            "test": np.where(exact, "exact", "chi2"),
            "statistic": np.where(exact, np.minimum(b, c), chi2),
            "p_value": p,
        }
    )


def pairwise_mcnemar(
    predictions: pd.DataFrame, model: str | None = None, exact_below: int = MCNEMAR_EXACT_BELOW, alpha: float = 0.05
) -> pd.DataFrame:
    """McNemar test for every pair of variants of one model, Holm-corrected over the pairs.

    ``b``: videos right under ``variant_a`` and wrong under ``variant_b``; ``c`` the reverse.
    """
    matrix = correctness_matrix(predictions, model)
    x = matrix.to_numpy(float)
    right_wrong = x.T @ (1 - x)  # [a, b]: a right, b wrong
    pairs = list(itertools.combinations(range(x.shape[1]), 2))
    ia, ib = np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int)
    tests = mcnemar_counts(right_wrong[ia, ib], right_wrong[ib, ia], exact_below)
    acc = x.mean(axis=0)
    names = matrix.columns.to_numpy()
    table = pd.DataFrame(
        {"model": model, "variant_a": names[ia], "variant_b": names[ib], "accuracy_a": acc[ia], "accuracy_b": acc[ib]}
    )
    table = pd.concat([table, tests], axis=1)
    table["n"] = len(x)
    table["p_holm"] = holm(table["p_value"])
    table["significant"] = table["p_holm"] < alpha
    return table


def friedman_test(blocks: pd.DataFrame) -> dict:
    """Friedman test on a blocks x treatments table (e.g. classes x coverages of per-class accuracy), with
    Kendall's W = chi2 / (n (k - 1)), mean ranks (1 = best) and Nemenyi and Conover (Holm) post-hoc p-values.
    Blocks with a missing value are dropped."""
    import scikit_posthocs as sp

    data = blocks.dropna()
    n, k = data.shape
    with np.errstate(divide="ignore", invalid="ignore"):  # every block tied throughout: statistic is nan
        res = sps.friedmanchisquare(*[data[col].to_numpy() for col in data.columns])
    ranks = data.rank(axis=1, ascending=False).mean()
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # identical rankings in every block: p-values stay nan/0
        nemenyi = sp.posthoc_nemenyi_friedman(data.to_numpy())
        conover = sp.posthoc_conover_friedman(data.to_numpy(), p_adjust="holm")
    labels = [str(c) for c in data.columns]
    nemenyi.index = nemenyi.columns = conover.index = conover.columns = labels
    return {
        "statistic": float(res.statistic),
        "p_value": float(res.pvalue),
        "df": k - 1,
        "n_blocks": n,
        "kendalls_w": float(res.statistic / (n * (k - 1))),
        "mean_ranks": {label: float(r) for label, r in zip(labels, ranks)},
        "nemenyi": nemenyi,
        "conover": conover,
    }


def coverage_blocks(per_class: pd.DataFrame, stride: int | None = None) -> pd.DataFrame:
    """Classes x coverages of per-class accuracy, at one stride or (``stride=None``) averaged over strides."""
    data = per_class if stride is None else per_class[per_class["stride"] == stride]
    return data.pivot_table(index="class", columns="coverage", values="accuracy", aggfunc="mean").sort_index(axis=1)


# ---------------------------------------------------------------------------------------------------------------
# Across models
# ---------------------------------------------------------------------------------------------------------------
def model_mcnemar(
    predictions: pd.DataFrame, exact_below: int = MCNEMAR_EXACT_BELOW, alpha: float = 0.05
) -> pd.DataFrame:
    """For every variant and every pair of models: McNemar on the videos both models saw, Holm over all tests.

    ``b``: videos ``model_a`` got right and ``model_b`` wrong; ``c`` the reverse.
    """
    models = list(dict.fromkeys(predictions["model"]))
    wide = predictions.pivot_table(index=["variant", "video_id"], columns="model", values="correct", aggfunc="first")
    rows = []
    for variant, cell in wide.groupby(level="variant", sort=False):
        for a, b in itertools.combinations(models, 2):
            pair = cell[[a, b]].dropna().astype(int)
            right_wrong = int(((pair[a] == 1) & (pair[b] == 0)).sum())
            wrong_right = int(((pair[a] == 0) & (pair[b] == 1)).sum())
            rows.append((variant, a, b, pair[a].mean(), pair[b].mean(), len(pair), right_wrong, wrong_right))
    table = pd.DataFrame(rows, columns=["variant", "model_a", "model_b", "accuracy_a", "accuracy_b", "n", "b", "c"])
    order = variant_table(predictions)["variant"].tolist()
    table = table.sort_values("variant", key=lambda s: s.map({v: i for i, v in enumerate(order)}), kind="stable")
    table = table.reset_index(drop=True)
    tests = mcnemar_counts(table["b"], table["c"], exact_below).drop(columns=["b", "c"])
    table = pd.concat([table, tests], axis=1)
    table["p_holm"] = holm(table["p_value"])
    table["significant"] = table["p_holm"] < alpha
    return table


def logistic_interaction(predictions: pd.DataFrame) -> dict:
    """Does the effect of coverage (or stride) on correctness differ between models?

    GEE logistic regression (binomial, independence working correlation, robust errors clustered by video or
    source group) of ``correct ~ C(model) * (C(coverage) + log2(stride))`` on the coverage x stride grid, with
    joint Wald tests of the model x coverage and model x stride interaction terms.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    grid = primary_grid(predictions)
    data = pd.DataFrame(
        {
            "correct": grid["correct"].astype(float).to_numpy(),
            "model": grid["model"].astype(str).to_numpy(),
            "coverage": grid["coverage"].astype(float).to_numpy(),
            "log2_stride": np.log2(grid["stride"].astype(float).to_numpy()),
            "cluster": cluster_ids(grid).to_numpy(),
        }
    )
    formula = "correct ~ C(model) * (C(coverage) + log2_stride)"
    model = smf.gee(formula, groups="cluster", data=data, family=sm.families.Binomial())
    fit = model.fit(cov_type="robust")
    names = list(fit.params.index)
    tests = {}
    for key, marker in (("model_x_coverage", "C(coverage)"), ("model_x_stride", "log2_stride")):
        idx = [i for i, name in enumerate(names) if "C(model)" in name and marker in name and ":" in name]
        tests[key] = wald_test(fit.params.to_numpy(), fit.cov_params().to_numpy(), idx)
    table = pd.DataFrame({"coef": fit.params, "se": fit.bse, "z": fit.tvalues, "p_value": fit.pvalues})
    return {"formula": formula, "n_obs": int(fit.nobs), "n_clusters": int(data["cluster"].nunique()),
            "interaction_tests": tests, "coefficients": table}  # fmt: skip


def wald_test(params: np.ndarray, cov: np.ndarray, index: Sequence[int]) -> dict:
    """Joint Wald chi-square test that ``params[index]`` are all zero."""
    index = list(index)
    if not index:
        return {"chi2": math.nan, "df": 0, "p_value": math.nan}
    b = params[index]
    v = cov[np.ix_(index, index)]
    chi2 = float(b @ np.linalg.pinv(v) @ b)
    return {"chi2": chi2, "df": len(index), "p_value": float(sps.chi2.sf(chi2, len(index)))}


def normalised_auc(coverages: Sequence[float], accuracies: Sequence[float]) -> float:
    """Area under accuracy vs coverage (trapezoids) divided by the coverage range: the coverage-averaged accuracy.

    >>> round(normalised_auc([10, 50, 100], [0.5, 0.7, 0.9]), 4)  # (0.6 * 40 + 0.8 * 50) / 90
    0.7111
    """
    x, y = np.asarray(coverages, float), np.asarray(accuracies, float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    if len(x) < 2 or x[-1] == x[0]:
        return float(y.mean()) if len(y) else math.nan
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def coverage_curve(results: pd.DataFrame) -> pd.DataFrame:
    """Models x coverages: accuracy averaged over strides (from a results table with model/coverage/accuracy)."""
    return results.pivot_table(index="model", columns="coverage", values="accuracy", aggfunc="mean").sort_index(axis=1)


def auc_ranking(
    results: pd.DataFrame, predictions: pd.DataFrame | None = None, n_boot: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """Robustness ranking by normalised AUC of the stride-averaged accuracy-vs-coverage curve.

    ``relative_auc`` is the AUC over the model's best cell (1 = no loss at any coverage). With per-video
    ``predictions``, percentile CIs come from a paired cluster bootstrap (the same resampled videos for every
    model), with ``p_rank1``: the share of draws in which the model ranks first.
    """
    curve = coverage_curve(results)
    best = results.groupby("model")["accuracy"].max()
    table = pd.DataFrame({"model": curve.index})
    table["auc"] = [normalised_auc(curve.columns, row) for row in curve.to_numpy()]
    table["relative_auc"] = table["auc"] / best.reindex(table["model"]).to_numpy()
    table["auc_low"] = table["auc_high"] = table["p_rank1"] = math.nan
    if predictions is not None:
        grid = primary_grid(predictions)
        draws, models, variants = bootstrap_accuracies(grid, n_boot, seed)
        vt = variant_table(grid).set_index("variant").loc[variants]
        coverages = np.sort(vt["coverage"].unique())
        per_cov = np.stack([np.nanmean(draws[:, :, (vt["coverage"] == c).to_numpy()], axis=2) for c in coverages], 2)
        span = coverages[-1] - coverages[0] if len(coverages) > 1 else 1.0
        aucs = np.trapezoid(per_cov, coverages, axis=2) / span if len(coverages) > 1 else per_cov[:, :, 0]
        order = pd.Index(models).get_indexer(table["model"])
        table["auc_low"] = np.quantile(aucs, 0.025, axis=0)[order]
        table["auc_high"] = np.quantile(aucs, 0.975, axis=0)[order]
        table["p_rank1"] = np.bincount(aucs.argmax(axis=1), minlength=len(models))[order] / n_boot
    table = table.sort_values("auc", ascending=False).reset_index(drop=True)
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    return table


# ---------------------------------------------------------------------------------------------------------------
# Robustness summaries
# ---------------------------------------------------------------------------------------------------------------
def aliasing_drop(results: pd.DataFrame, high: float = 100, low: float = 25) -> pd.DataFrame:
    """Per model and stride: accuracy at ``high`` % coverage minus at ``low`` % (positive = loss), plus a
    ``mean`` row over strides."""
    wide = results.pivot_table(index=["model", "stride"], columns="coverage", values="accuracy", aggfunc="mean")
    if high not in wide.columns or low not in wide.columns:
        raise ValueError(f"aliasing drop needs coverages {high} and {low}; the grid has {list(wide.columns)}")
    drop = (wide[high] - wide[low]).rename("drop").reset_index()
    drop["stride"] = drop["stride"].astype(object)
    mean = drop.groupby("model", sort=False)["drop"].mean().reset_index().assign(stride="mean")
    return pd.concat([drop, mean], ignore_index=True)[["model", "stride", "drop"]]


def critical_coverage(results: pd.DataFrame, margin: float = 0.02) -> pd.DataFrame:
    """Per model: the lowest coverage at which some stride is within ``margin`` (absolute) of the model's best
    accuracy, and per stride the lowest coverage within ``margin`` of that stride's best."""
    rows = []
    for model, df in results.groupby("model", sort=False):
        best_by_cov = df.groupby("coverage")["accuracy"].max()
        row = {"model": model, "best_accuracy": float(best_by_cov.max()), "margin": margin}
        row["critical_coverage"] = float(best_by_cov.index[best_by_cov >= best_by_cov.max() - margin].min())
        for stride, sdf in df.groupby("stride"):
            acc = sdf.set_index("coverage")["accuracy"].sort_index()
            row[f"critical_coverage_s{stride}"] = float(acc.index[acc >= acc.max() - margin].min())
        rows.append(row)
    return pd.DataFrame(rows)


def class_sensitivity(
    per_class: pd.DataFrame, high: float = 100, low: float = 25, thresholds: tuple[float, float] = TIER_THRESHOLDS
) -> pd.DataFrame:
    """Per class: aliasing drop (accuracy at ``high`` minus ``low`` coverage, averaged over strides) and its tier:
    ``robust`` (drop < thresholds[0]), ``moderate``, or ``sensitive`` (drop >= thresholds[1])."""
    wide = per_class.pivot_table(index=["class", "stride"], columns="coverage", values="accuracy", aggfunc="mean")
    drop = (wide[high] - wide[low]).groupby(level="class").mean()
    tier = np.where(drop < thresholds[0], "robust", np.where(drop < thresholds[1], "moderate", "sensitive"))
    table = pd.DataFrame({"class": drop.index, "drop": drop.to_numpy(), "tier": tier})
    return table.sort_values(["drop", "class"], ascending=[False, True]).reset_index(drop=True)


def best_variants(results: pd.DataFrame) -> pd.DataFrame:
    """Per model: the variant with the highest accuracy (first in grid order on ties)."""
    idx = results.groupby("model", sort=False)["accuracy"].idxmax()
    return results.loc[idx].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------------
# The 2025 study's protocol (per-class accuracies as independent groups; kept for parity)
# ---------------------------------------------------------------------------------------------------------------
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
    /work/shared/reference/README.md and docs/statistics.md). An analysis whose levels are missing from the grid
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
        out[key] = {"f_statistic": float(res.statistic), "p_value": float(res.pvalue),
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
        out["variance_homogeneity"] = {"levene_statistic": float(res.statistic), "p_value": float(res.pvalue)}
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


# ---------------------------------------------------------------------------------------------------------------
# The synthetic benchmark: aliasing of a rotation of known frequency
# ---------------------------------------------------------------------------------------------------------------
def _direction_correct(predictions: pd.DataFrame) -> pd.Series:
    true_dir, pred_dir = direction_of(predictions["class_name"]), direction_of(predictions["pred_class"])
    return pd.Series((pred_dir == true_dir) & (true_dir != ""), index=predictions.index)


def aliasing_table(predictions: pd.DataFrame, min_distinct: int = 3) -> pd.DataFrame:
    """Rows with a known motion frequency and at least ``min_distinct`` frames, with ``x = f * spacing / fps``
    (cycles per sampled step), ``frac_x`` and ``direction_correct``."""
    df = predictions
    keep = df["f_hz"].notna() & df["median_spacing"].notna() & (df["distinct_frames"] >= min_distinct)
    df = df[keep]
    x = aliasing_x(df["f_hz"].to_numpy(float), df["median_spacing"].to_numpy(float), df["fps"].to_numpy(float))
    return pd.DataFrame(
        {
            "model": df["model"].to_numpy(),
            "x": x,
            "frac_x": frac(x),
            "direction_correct": _direction_correct(df).to_numpy(),
        }
    )


def direction_accuracy(predictions: pd.DataFrame) -> pd.Series:
    """Per model, the share of predictions whose direction (``cw``/``ccw`` suffix) matches the true one."""
    correct = _direction_correct(predictions)
    return correct.groupby(predictions["model"], sort=False).mean().rename("direction_accuracy")


def nyquist_check(
    predictions_df: pd.DataFrame,
    min_distinct: int = 3,
    below: float = 0.4,
    above: tuple[float, float] = (0.6, 0.9),
    min_below_accuracy: float = 0.85,
    max_above_accuracy: float = 0.25,
    exclude: Mapping[str, str] | None = None,
) -> dict:
    """Does direction accuracy collapse past the Nyquist limit? Pooled over models and variants, on clips with
    ``>= min_distinct`` distinct frames: direction accuracy where ``frac(x) < below`` (should be high) and where
    ``above[0] < frac(x) < above[1]`` (the apparent rotation reverses: should be low); PASS iff the first is
    ``>= min_below_accuracy`` and the second ``<= max_above_accuracy``. ``exclude`` maps models left out of the
    pool to the reason (e.g. a model that does not see the rotation at all, judged on the validation split).
    """
    exclude = dict(exclude or {})
    predictions_df = predictions_df[~predictions_df["model"].isin(list(exclude))]
    table = aliasing_table(predictions_df, min_distinct)
    low = table[table["frac_x"] < below]
    high = table[(table["frac_x"] > above[0]) & (table["frac_x"] < above[1])]
    acc_low = float(low["direction_correct"].mean()) if len(low) else math.nan
    acc_high = float(high["direction_correct"].mean()) if len(high) else math.nan
    passed = bool(len(low) and len(high) and acc_low >= min_below_accuracy and acc_high <= max_above_accuracy)
    return {
        "below_nyquist_accuracy": acc_low,
        "below_nyquist_n": len(low),
        "above_nyquist_accuracy": acc_high,
        "above_nyquist_n": len(high),
        "thresholds": {
            "below": below,
            "above": list(above),
            "min_below_accuracy": min_below_accuracy,
            "max_above_accuracy": max_above_accuracy,
            "min_distinct": min_distinct,
        },  # fmt: skip
        "models": list(pd.unique(predictions_df["model"])),
        "excluded": exclude,
        "passed": passed,
        "verdict": "PASS" if passed else "FAIL",
    }
