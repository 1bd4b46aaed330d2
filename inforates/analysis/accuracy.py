"""Accuracy per variant with confidence intervals: Wilson (per cell) and the paired cluster bootstrap; each
model's best cell. The bootstrap resamples clusters (videos, or UCF-101's source groups) with replacement, the
same clusters for every model and variant, so differences between models or variants keep their pairing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import results_table, variant_table, wilson_interval


def cluster_ids(predictions: pd.DataFrame) -> pd.Series:
    """Resampling unit per row: the source group within its class (UCF-101's ``gXX``) when ``group`` is set,
    else the source video (segments cut from one video, ``segment_frames``, are one cluster), else the video.
    Groups are taken as nested in classes: ``g08`` of two classes are different clusters."""
    source = "source_video" if "source_video" in predictions.columns else "video_id"
    video = "v:" + predictions[source].astype(str)
    if "group" not in predictions.columns:
        return video
    group = predictions["group"].fillna("").astype(str)
    label = predictions["label"].astype(str) if "label" in predictions.columns else ""
    return video.where(group == "", "g:" + label + "/" + group)


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
    table = results_table(predictions, confidence=confidence)
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


def best_variants(results: pd.DataFrame) -> pd.DataFrame:
    """Per model: the variant with the highest accuracy (first in grid order on ties)."""
    idx = results.groupby("model", sort=False)["accuracy"].idxmax()
    return results.loc[idx].reset_index(drop=True)


def simultaneous_interval(
    predictions: pd.DataFrame | None, row: dict, cells: int, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """A 95 % interval for the accuracy of a cell picked as the highest of ``cells``: each side at 0.025 / cells
    (Bonferroni), from the cluster bootstrap of that cell's clips where ``predictions`` are given, else Wilson."""
    alpha = 0.05 / max(cells, 1)
    if predictions is None:
        return wilson_interval(int(row["correct"]), int(row["total"]), 1 - alpha)
    cell = predictions[(predictions["model"] == row["model"]) & (predictions["variant"] == row["variant"])]
    draws, _, _ = bootstrap_accuracies(cell, max(n_boot, int(np.ceil(20 / alpha))), seed)
    low, high = np.nanquantile(draws[:, 0, 0], [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
