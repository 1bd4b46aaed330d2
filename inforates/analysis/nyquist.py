"""The synthetic benchmark's check: does direction accuracy collapse past the Nyquist limit, as the aliasing rule
(:mod:`inforates.aliasing`) predicts for a rotation of known frequency ``f_hz``? A paired, within-video contrast:
every test video is swept over spacings (the ``spacing_budget`` design) and crosses the limit at spacings of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..aliasing import aliasing_x, direction_of, frac
from .accuracy import cluster_ids
from .robustness import cluster_mean_test


def _direction_correct(predictions: pd.DataFrame) -> pd.Series:
    true_dir, pred_dir = direction_of(predictions["class_name"]), direction_of(predictions["pred_class"])
    return pd.Series((pred_dir == true_dir) & (true_dir != ""), index=predictions.index)


def aliasing_table(predictions: pd.DataFrame, min_distinct: int = 3) -> pd.DataFrame:
    """Rows with a known motion frequency and at least ``min_distinct`` frames, with ``x = f * spacing / fps``
    (cycles per sampled step), ``frac_x``, ``direction_correct``, the video and its resampling cluster."""
    df = predictions
    keep = df["f_hz"].notna() & df["median_spacing"].notna() & (df["distinct_frames"] >= min_distinct)
    df = df[keep]
    videos = df["video_id"].astype(str) if "video_id" in df.columns else pd.Series(df.index.astype(str), df.index)
    x = aliasing_x(df["f_hz"].to_numpy(float), df["median_spacing"].to_numpy(float), df["fps"].to_numpy(float))
    return pd.DataFrame(
        {
            "model": df["model"].to_numpy(),
            "video_id": videos.to_numpy(),
            "cluster": (cluster_ids(df) if "video_id" in df.columns else videos).to_numpy(),
            "spacing": df["median_spacing"].to_numpy(float),
            "x": x,
            "frac_x": frac(x),
            "direction_correct": _direction_correct(df).to_numpy(),
        }
    )


def direction_accuracy(predictions: pd.DataFrame) -> pd.Series:
    """Per model, the share of predictions whose direction (``cw``/``ccw`` suffix) matches the true one."""
    correct = _direction_correct(predictions)
    return correct.groupby(predictions["model"], sort=False).mean().rename("direction_accuracy")


WITHIN_VIDEO_SAMPLER = "spacing_budget"  # the design whose cells sweep each video across the limit


def design_rows(predictions: pd.DataFrame) -> pd.DataFrame:
    """The rows the check reads: the exact spacing x budget design where the predictions have it (every video swept
    over spacings), else every row."""
    if "sampler" in predictions.columns and (predictions["sampler"] == WITHIN_VIDEO_SAMPLER).any():
        return predictions[predictions["sampler"] == WITHIN_VIDEO_SAMPLER]
    return predictions


def _per_video(table: pd.DataFrame) -> pd.DataFrame:
    """Per (model, video): direction accuracy on its clips below the limit and on its clips past it (the videos
    with both)."""
    per_video = table.pivot_table(
        index=["model", "video_id", "cluster"], columns="band", values="direction_correct", aggfunc="mean"
    )
    if not {"below", "above"} <= set(per_video.columns):
        return pd.DataFrame(columns=["below", "above"])
    return per_video[["below", "above"]].dropna()


def paired_arms(both: pd.DataFrame, reference: str, treated: str, n_boot: int, seed: int) -> dict:
    """Two arms measured on the same videos (``both``: one row per (video_id, cluster), a column per arm): each
    arm's mean with its cluster-bootstrap CI (``<arm>``, ``<arm>_ci``) and :func:`paired_contrast` of ``treated``
    minus ``reference`` (``n_videos``, ``difference``, its CI, Wilcoxon ``p_value``)."""
    contrast = paired_contrast(pd.DataFrame({"below": both[treated], "above": both[reference]}), n_boot, seed)
    out = {}
    for arm in (reference, treated):
        test = cluster_mean_test(both[arm], both.index.get_level_values("cluster"), n_boot, seed) if len(both) else {}
        out[arm] = test.get("mean", math.nan)
        out[f"{arm}_ci"] = [test.get("ci_low", math.nan), test.get("ci_high", math.nan)]
    keys = ("n_videos", "difference", "ci_low", "ci_high", "p_value", "log10_p", "test")
    return {**out, **{k: contrast[k] for k in keys}}


def paired_contrast(pairs: pd.DataFrame, n_boot: int, seed: int) -> dict:
    """The within-video contrast with the video as unit: each video's direction accuracy below and past the limit,
    averaged over the models that saw it (a video counts once however many models are pooled); the mean paired
    difference with a cluster-bootstrap CI (clusters resampled) and a Wilcoxon signed-rank test on the clusters'
    mean differences."""
    from scipy import stats as sps

    from .pvalues import normal_p

    empty = {
        "n_videos": 0,
        "n_clusters": 0,
        "n_model_videos": 0,
        "below": math.nan,
        "above": math.nan,
        "difference": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "p_value": math.nan,
        "log10_p": math.nan,
        "test": "Wilcoxon signed-rank",
    }
    if pairs.empty:
        return empty
    videos = pairs.groupby(level=["video_id", "cluster"]).mean()  # one value per video, over the models
    difference = (videos["below"] - videos["above"]).to_numpy(float)
    clusters, _ = pd.factorize(videos.index.get_level_values("cluster"))
    sums, counts = np.bincount(clusters, difference), np.bincount(clusters)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    boot = sums[draws].sum(axis=1) / counts[draws].sum(axis=1) if n_boot else np.array([])
    by_cluster = sums / counts
    if np.any(by_cluster != 0):  # normal approximation, its tail in log space (it underflows at these sizes)
        p, log10_p = normal_p(sps.wilcoxon(by_cluster, method="approx").zstatistic)
    else:
        p, log10_p = 1.0, 0.0
    return {
        **empty,
        "n_videos": int(len(videos)),
        "n_clusters": int(len(sums)),
        "n_model_videos": int(len(pairs)),
        "below": float(videos["below"].mean()),
        "above": float(videos["above"].mean()),
        "difference": float(difference.mean()),
        "ci_low": float(np.quantile(boot, 0.025)) if n_boot else math.nan,
        "ci_high": float(np.quantile(boot, 0.975)) if n_boot else math.nan,
        "p_value": p,
        "log10_p": log10_p,
    }


def nyquist_check(
    predictions_df: pd.DataFrame,
    min_distinct: int = 3,
    below: float = 0.4,
    above: tuple[float, float] = (0.6, 0.9),
    min_below_accuracy: float = 0.85,
    max_above_accuracy: float = 0.25,
    exclude: Mapping[str, str] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict:
    """Does direction accuracy collapse past the Nyquist limit *within each video*? On the within-video design's
    clips (:func:`design_rows`) with ``>= min_distinct`` distinct frames, each (model, video) gives its direction
    accuracy where ``frac(x) < below`` and where ``above[0] < frac(x) < above[1]`` (the apparent rotation
    reverses); each video's two figures are averaged over the pooled models, so a video is one unit however many
    models saw it. On the videos that have both, PASS iff the mean below is ``>= min_below_accuracy``, the mean
    past it ``<= max_above_accuracy``, and the paired difference's 95 % cluster-bootstrap CI lies above 0 with a
    Wilcoxon signed-rank p < 0.05. Since each video crosses the limit at its own spacings, a model that fails at
    some spacing whatever the frequency cannot pass. Each pooled model's own within-video figures
    (``per_model``) and the pooled clip counts are reported too. ``exclude`` maps models left out to the reason (a
    model that does not see the rotation, judged on validation).
    """
    exclude = dict(exclude or {})
    predictions_df = design_rows(predictions_df[~predictions_df["model"].isin(list(exclude))])
    table = aliasing_table(predictions_df, min_distinct)
    table["band"] = np.where(
        table["frac_x"] < below,
        "below",
        np.where((table["frac_x"] > above[0]) & (table["frac_x"] < above[1]), "above", ""),
    )
    low, high = table[table["band"] == "below"], table[table["band"] == "above"]
    acc_low = float(low["direction_correct"].mean()) if len(low) else math.nan
    acc_high = float(high["direction_correct"].mean()) if len(high) else math.nan
    pairs = _per_video(table[table["band"] != ""])
    paired = paired_contrast(pairs, n_boot, seed)
    per_model = {
        str(model): {
            "below": float(rows["below"].mean()),
            "above": float(rows["above"].mean()),
            "n_videos": int(len(rows)),
        }
        for model, rows in (pairs.groupby(level="model", sort=False) if len(pairs) else ())
    }
    passed = bool(
        paired["n_videos"] > 0
        and paired["below"] >= min_below_accuracy
        and paired["above"] <= max_above_accuracy
        and paired["ci_low"] > 0
        and paired["p_value"] < 0.05
    )
    return {
        "design": WITHIN_VIDEO_SAMPLER
        if "sampler" in predictions_df and (predictions_df["sampler"] == WITHIN_VIDEO_SAMPLER).any()
        else "all",
        "within_video": paired,
        "per_model": per_model,
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
        },
        "models": list(pd.unique(predictions_df["model"])),
        "excluded": exclude,
        "passed": passed,
        "verdict": "PASS" if passed else "FAIL",
    }
