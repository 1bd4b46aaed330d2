"""Robustness summaries of the coverage x stride grid: the normalised AUC of each model (paired bootstrap CIs),
over coverage and, from per-video predictions, over the clips' span in seconds, and the paired comparison of the
models' AUCs on the same videos (``per_video_auc``, ``auc_differences``); the coverage drop (per stride, and per
video for its test), the critical coverage and the per-class changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..schema import primary_grid, variant_table
from .accuracy import bootstrap_accuracies, cluster_ids


# Per-class tiers by the size of the change between 100 % and 25 % coverage (mean over strides), either way.
TIER_THRESHOLDS = (0.05, 0.15)  # |change| < 0.05: stable; 0.05 <= |change| < 0.15: moderate; >= 0.15: large
TIERS = ("stable", "moderate", "large")


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


def _normalised_aucs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`normalised_auc` along the last axis of ``y`` (e.g. bootstrap draws) over one ``x`` axis."""
    order = np.argsort(x)
    x, y = x[order], y[..., order]
    if len(x) < 2 or x[-1] == x[0]:
        return y.mean(axis=-1)
    return np.trapezoid(y, x, axis=-1) / (x[-1] - x[0])


def span_by_coverage(table: pd.DataFrame | None) -> pd.DataFrame:
    """Per model and coverage of the coverage x stride grid: the median ``span_seconds`` of the table's rows -- of
    its clips (per-video predictions) or of its cells' median spans (a results table) -- over every stride; empty
    without ``span_seconds``."""
    columns = ["model", "coverage", "span_seconds"]
    if table is None or "span_seconds" not in table.columns:
        return pd.DataFrame(columns=columns)
    grid = primary_grid(table)
    grid = grid[grid["span_seconds"].notna()]
    return grid.groupby(["model", "coverage"], sort=True)["span_seconds"].median().reset_index()[columns]


def coverage_curve(results: pd.DataFrame) -> pd.DataFrame:
    """Models x coverages: accuracy averaged over strides (from a results table with model/coverage/accuracy)."""
    return results.pivot_table(index="model", columns="coverage", values="accuracy", aggfunc="mean").sort_index(axis=1)


def auc_ranking(
    results: pd.DataFrame,
    predictions: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    spans: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each model's normalised AUC of the stride-averaged accuracy-vs-coverage curve, highest first (an order, not
    a ranking claim: :func:`auc_differences` tests the differences).

    With per-video ``predictions``, percentile CIs come from a paired cluster bootstrap (the same resampled videos
    for every model). ``spans``
    (:func:`span_by_coverage`) puts the same curve on a seconds axis: ``auc_seconds`` is the area under accuracy
    against the median clip span in seconds at each coverage, divided by that span's range (NaN for a model without
    spans), with its CI from the same draws.
    """
    curve = coverage_curve(results)
    table = pd.DataFrame({"model": curve.index})
    table["auc"] = [normalised_auc(curve.columns, row) for row in curve.to_numpy()]
    table["auc_low"] = table["auc_high"] = math.nan
    seconds = {}  # model -> median span in seconds per coverage of the curve
    if spans is not None and len(spans):
        wide = spans.pivot(index="model", columns="coverage", values="span_seconds").reindex(columns=curve.columns)
        seconds = {m: wide.loc[m].to_numpy(float) for m in wide.index if wide.loc[m].notna().all()}
    table["auc_seconds"] = [
        float(_normalised_aucs(seconds[m], curve.loc[m].to_numpy(float))) if m in seconds else math.nan
        for m in table["model"]
    ]
    table["auc_seconds_low"] = table["auc_seconds_high"] = math.nan
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
        for i, model in enumerate(models):
            if model in seconds and np.array_equal(coverages, curve.columns.to_numpy(float)):
                row = table.index[table["model"] == model]
                draws_s = _normalised_aucs(seconds[model], per_cov[:, i, :])
                table.loc[row, ["auc_seconds_low", "auc_seconds_high"]] = np.quantile(draws_s, [0.025, 0.975])
    return table.sort_values("auc", ascending=False).reset_index(drop=True)


def coverage_weights(coverages) -> np.ndarray:
    """Trapezoid weights that turn accuracies at ``coverages`` (sorted) into the normalised AUC."""
    x = np.asarray(coverages, float)
    if len(x) < 2 or x[-1] == x[0]:
        return np.full(len(x), 1.0 / max(len(x), 1))
    gaps = np.diff(x)
    weights = np.zeros(len(x))
    weights[:-1] += gaps / 2
    weights[1:] += gaps / 2
    return weights / (x[-1] - x[0])


def per_video_auc(predictions: pd.DataFrame) -> pd.DataFrame:
    """Each (model, video)'s own normalised AUC on the coverage x stride grid: its correctness averaged over the
    strides at each coverage, weighted as the AUC weights coverages -- so that a model's AUC is the mean of its
    videos'. Videos not scored in every cell are left out. Columns: model, video_id, cluster, auc."""
    grid = primary_grid(predictions)
    grid = grid.assign(cluster=cluster_ids(grid))
    rows = []
    for model, cells in grid.groupby("model", sort=False):
        wide = (
            cells.pivot_table(
                index=["video_id", "cluster"], columns=["coverage", "stride"], values="correct", aggfunc="first"
            )
            .dropna()
            .astype(float)
        )
        by_coverage = wide.T.groupby(level="coverage").mean().T.sort_index(axis=1)
        auc = by_coverage.to_numpy() @ coverage_weights(by_coverage.columns)
        rows.append(
            pd.DataFrame(
                {
                    "model": model,
                    "video_id": wide.index.get_level_values(0),
                    "cluster": wide.index.get_level_values(1),
                    "auc": auc,
                }
            )
        )
    return (
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["model", "video_id", "cluster", "auc"])
    )


def cluster_mean_test(values: pd.Series, clusters: pd.Series, n_boot: int = 1000, seed: int = 0) -> dict:
    """The mean of per-video ``values`` with its cluster-bootstrap 95 % CI and a Wilcoxon signed-rank test (on the
    clusters' means: the unit is a video, or a source group) of whether they centre on zero."""
    from scipy import stats as sps

    from .pvalues import normal_p

    grouped = pd.Series(np.asarray(values, float), index=np.asarray(clusters)).groupby(level=0).agg(["sum", "size"])
    sums, counts = grouped["sum"].to_numpy(float), grouped["size"].to_numpy(float)
    out = {
        "n_videos": int(counts.sum()),
        "n_clusters": int(len(sums)),
        "mean": float(sums.sum() / counts.sum()) if len(sums) else math.nan,
    }
    if len(sums) < 2:
        return {**out, "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan, "log10_p": math.nan}
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    boot = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    means = sums / counts
    p, log10_p = normal_p(sps.wilcoxon(means, method="approx").zstatistic) if np.any(means != 0) else (1.0, 0.0)
    return {
        **out,
        "ci_low": float(np.quantile(boot, 0.025)),
        "ci_high": float(np.quantile(boot, 0.975)),
        "p_value": p,
        "log10_p": log10_p,
    }


def paired_difference(values: pd.DataFrame, a: str, b: str, n_boot: int = 1000, seed: int = 0) -> dict:
    """``a`` minus ``b`` on the videos both have (``values``: model, video_id, cluster, value): the mean difference
    with its :func:`cluster_mean_test`."""
    wide = values.pivot_table(index=["video_id", "cluster"], columns="model", values="value", aggfunc="first")
    pair = wide[[a, b]].dropna()
    test = cluster_mean_test(pair[a] - pair[b], pair.index.get_level_values("cluster"), n_boot, seed)
    return {
        "model_a": a,
        "model_b": b,
        "value_a": float(pair[a].mean()) if len(pair) else math.nan,
        "value_b": float(pair[b].mean()) if len(pair) else math.nan,
        "difference": test.pop("mean"),
        **test,
    }


def auc_differences(per_video: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Every pair of models: the difference of their AUCs on the same videos (:func:`paired_difference`)."""
    import itertools

    values = per_video.rename(columns={"auc": "value"})
    models = list(dict.fromkeys(values["model"]))
    rows = [paired_difference(values, a, b, n_boot, seed) for a, b in itertools.combinations(models, 2)]
    return pd.DataFrame(rows)


def coverage_drop_per_video(predictions: pd.DataFrame, high: float = 100, low: float = 25) -> pd.DataFrame:
    """Per (model, video): its correctness at ``high`` % coverage minus at ``low`` % (each averaged over the
    strides), on the videos scored in all those cells. Columns: model, video_id, cluster, value."""
    grid = primary_grid(predictions)
    grid = grid[grid["coverage"].isin([high, low])].assign(cluster=lambda d: cluster_ids(d))
    wide = (
        grid.pivot_table(
            index=["model", "video_id", "cluster"], columns=["coverage", "stride"], values="correct", aggfunc="first"
        )
        .dropna()
        .astype(float)
    )
    if wide.empty or high not in wide.columns.get_level_values(0) or low not in wide.columns.get_level_values(0):
        return pd.DataFrame(columns=["model", "video_id", "cluster", "value"])
    value = wide[high].mean(axis=1) - wide[low].mean(axis=1)
    return value.rename("value").reset_index()


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


def _holds_from(curve: pd.Series, margin: float) -> float:
    """The lowest coverage from which on every coverage of ``curve`` (coverage -> accuracy) is within ``margin`` of
    its best; NaN when the largest coverage itself falls short (the curve drops again at large coverage)."""
    ok = (curve >= curve.max() - margin).to_numpy()
    if not ok[-1]:
        return math.nan
    first = len(ok) - int(np.argmin(ok[::-1])) if not ok.all() else 0
    return float(curve.index[first])


def critical_coverage(results: pd.DataFrame, margin: float = 0.02) -> pd.DataFrame:
    """Per model: the lowest coverage from which on, at every larger coverage, some stride stays within ``margin``
    (absolute) of the model's best accuracy -- defined for any curve, rising or not: NaN when accuracy at the
    largest coverage is itself more than ``margin`` below the best (``best_coverage`` says where the best is).
    ``critical_coverage_s<k>``: the same per stride. Descriptive: no test."""
    rows = []
    for model, df in results.groupby("model", sort=False):
        best_by_cov = df.groupby("coverage")["accuracy"].max().sort_index()
        row = {
            "model": model,
            "best_accuracy": float(best_by_cov.max()),
            "margin": margin,
            "best_coverage": float(best_by_cov.idxmax()),
            "critical_coverage": _holds_from(best_by_cov, margin),
        }
        for stride, sdf in df.groupby("stride"):
            row[f"critical_coverage_s{stride}"] = _holds_from(
                sdf.set_index("coverage")["accuracy"].sort_index(), margin
            )
        rows.append(row)
    return pd.DataFrame(rows)


def class_sensitivity(
    per_class: pd.DataFrame, high: float = 100, low: float = 25, thresholds: tuple[float, float] = TIER_THRESHOLDS
) -> pd.DataFrame:
    """Per class: ``drop``, accuracy at ``high`` minus ``low`` coverage averaged over strides (positive = lost at
    ``low``), its ``direction`` (``loss``, ``gain`` or ``none``) and its ``tier`` by the size of the change either
    way: ``stable`` (|drop| < thresholds[0]), ``moderate``, or ``large`` (|drop| >= thresholds[1]). Observed, not
    tested: a class has few videos."""
    wide = per_class.pivot_table(index=["class", "stride"], columns="coverage", values="accuracy", aggfunc="mean")
    drop = (wide[high] - wide[low]).groupby(level="class").mean()
    size = drop.abs().to_numpy()
    tier = np.where(size < thresholds[0], TIERS[0], np.where(size < thresholds[1], TIERS[1], TIERS[2]))
    direction = np.where(drop > 0, "loss", np.where(drop < 0, "gain", "none"))
    table = pd.DataFrame({"class": drop.index, "drop": drop.to_numpy(), "direction": direction, "tier": tier})
    return table.sort_values(["drop", "class"], ascending=[False, True]).reset_index(drop=True)
