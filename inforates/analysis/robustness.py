"""Robustness summaries of the coverage x stride grid: the ranking by normalised AUC (with paired bootstrap CIs),
over coverage and, from per-video predictions, over the clips' span in seconds; the aliasing drop, the critical
coverage and the per-class sensitivity tiers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..schema import primary_grid, variant_table
from .accuracy import bootstrap_accuracies


# Per-class sensitivity tiers by aliasing drop (accuracy at 100 % minus 25 % coverage, mean over strides).
TIER_THRESHOLDS = (0.05, 0.15)  # drop < 0.05: robust; 0.05 <= drop < 0.15: moderate; >= 0.15: sensitive


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
    """Robustness ranking by normalised AUC of the stride-averaged accuracy-vs-coverage curve.

    ``relative_auc`` is the AUC over the model's best cell (1 = no loss at any coverage). With per-video
    ``predictions``, percentile CIs come from a paired cluster bootstrap (the same resampled videos for every
    model), with ``p_rank1``: the share of draws in which the model ranks first. ``spans``
    (:func:`span_by_coverage`) puts the same curve on a seconds axis: ``auc_seconds`` is the area under accuracy
    against the median clip span in seconds at each coverage, divided by that span's range (NaN for a model without
    spans), with its CI from the same draws.
    """
    curve = coverage_curve(results)
    best = results.groupby("model")["accuracy"].max()
    table = pd.DataFrame({"model": curve.index})
    table["auc"] = [normalised_auc(curve.columns, row) for row in curve.to_numpy()]
    table["relative_auc"] = table["auc"] / best.reindex(table["model"]).to_numpy()
    table["auc_low"] = table["auc_high"] = table["p_rank1"] = math.nan
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
        table["p_rank1"] = np.bincount(aucs.argmax(axis=1), minlength=len(models))[order] / n_boot
        for i, model in enumerate(models):
            if model in seconds and np.array_equal(coverages, curve.columns.to_numpy(float)):
                row = table.index[table["model"] == model]
                draws_s = _normalised_aucs(seconds[model], per_cov[:, i, :])
                table.loc[row, ["auc_seconds_low", "auc_seconds_high"]] = np.quantile(draws_s, [0.025, 0.975])
    table = table.sort_values("auc", ascending=False).reset_index(drop=True)
    table.insert(1, "rank", np.arange(1, len(table) + 1))
    return table


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
