"""Where each video's own temporal bandwidth predicts its accuracy should fall, and whether it does (pure statistics).

Every clip gets the turn per step its video's frequency predicts, ``x = f * spacing / fps`` (:mod:`inforates.aliasing`),
from the benchmark's metadata (``f_hz``) or from the estimate of ``inforates bandwidth`` (``f_hz_est``), and a band:
``below`` the limit or ``past`` it. On direction classes (the synthetic benchmark: ``<shape>_cw``) the outcome is
the direction, and the bands are the Nyquist check's (``frac(x) < 0.4``; ``0.6 < frac(x) < 0.9``, where the
apparent rotation reverses); on any other classes the outcome is correctness and the bands are ``x < 0.4`` and
``x > 0.6`` (past half a cycle per step, any motion folds; the margins keep an estimate's small errors out).

    table = limit_table(predictions, "f_hz_est")
    within_video_contrast(table, n_boot=1000, seed=0)   # outcome below vs past, the video as unit
    limit_given_spacing(table)                          # GEE: is crossing the limit worse than the spacing alone?
    loss_past_the_limit(table, n_boot=1000, seed=0)     # the share of the loss at spacings >= 2 past the limit

Since ``x`` grows with spacing, a drop past the limit could be the spacing itself; the GEE logistic model tests the
crossing given ``log2(spacing)``: videos of different frequencies cross at different spacings, which is what
separates the two.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..aliasing import aliasing_x, direction_of, frac
from .accuracy import cluster_ids
from .gee import fit_logistic_gee
from .nyquist import paired_arms, paired_contrast
from .pvalues import normal_p


FREQUENCIES = {"f_hz": "metadata", "f_hz_est": "estimate"}
BELOW, PAST = 0.4, (0.6, 0.9)


def has_frequency(predictions: pd.DataFrame | None, column: str) -> bool:
    """Whether some prediction has a motion frequency in ``column`` (``f_hz`` or ``f_hz_est``)."""
    return predictions is not None and column in predictions.columns and bool(predictions[column].notna().any())


def direction_task(predictions: pd.DataFrame) -> bool:
    """Whether every class names a direction (``<shape>_cw`` / ``_ccw``): the outcome is then the direction."""
    return bool((direction_of(predictions["class_name"].unique()) != "").all())


def limit_table(predictions: pd.DataFrame, column: str, min_distinct: int = 3) -> pd.DataFrame:
    """One row per clip with a frequency in ``column`` and ``>= min_distinct`` distinct frames: model, video,
    cluster, spacing, ``x``, band (``below``, ``past`` or ``""`` between) and the outcome (0/1)."""
    df = predictions[predictions[column].notna() & predictions["median_spacing"].notna()]
    df = df[df["distinct_frames"] >= min_distinct]
    x = aliasing_x(df[column].to_numpy(float), df["median_spacing"].to_numpy(float), df["fps"].to_numpy(float))
    x = np.atleast_1d(np.asarray(x, float))
    if len(df) and direction_task(df):
        folded = frac(x)
        band = np.where(folded < BELOW, "below", np.where((folded > PAST[0]) & (folded < PAST[1]), "past", ""))
        pred_dir, true_dir = direction_of(df["pred_class"]), direction_of(df["class_name"])
        outcome = (pred_dir == true_dir) & (true_dir != "")
    else:
        band = np.where(x < BELOW, "below", np.where(x > PAST[0], "past", ""))
        outcome = df["correct"].to_numpy(bool)
    return pd.DataFrame(
        {
            "model": df["model"].to_numpy(),
            "video_id": df["video_id"].astype(str).to_numpy(),
            "cluster": cluster_ids(df).to_numpy(),
            "spacing": df["median_spacing"].to_numpy(float),
            "x": x,
            "band": band,
            "outcome": np.asarray(outcome, float),
        }
    )


def per_video_bands(table: pd.DataFrame) -> pd.DataFrame:
    """Per (model, video, cluster): the outcome's mean below and past the limit (videos with both)."""
    both = table[table["band"] != ""].pivot_table(
        index=["model", "video_id", "cluster"], columns="band", values="outcome", aggfunc="mean"
    )
    if not {"below", "past"} <= set(both.columns):
        return pd.DataFrame(columns=["below", "above"])
    return both[["below", "past"]].dropna().rename(columns={"past": "above"})


def within_video_contrast(table: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> dict:
    """Outcome below minus past the limit within each video (the video as unit; cluster bootstrap CI, Wilcoxon
    signed-rank over clusters), as the Nyquist check computes it."""
    out = paired_contrast(per_video_bands(table), n_boot, seed)
    return {**out, "past": out.pop("above")}


def limit_given_spacing(table: pd.DataFrame) -> dict:
    """GEE logistic model ``outcome ~ log2(spacing) + past`` on the clips below or past the limit (binomial,
    exchangeable within clusters, robust errors): the odds ratio of crossing the limit at a given spacing, with its
    95 % CI and Wald p; ``{"skipped": reason}`` when it cannot be fitted."""
    data = table[table["band"] != ""]
    out = {"n_clips": int(len(data)), "n_clusters": int(data["cluster"].nunique())}
    past = (data["band"] == "past").to_numpy(float)
    if len(data) == 0 or past.min() == past.max():
        return {**out, "skipped": "no clip on one side of the limit"}
    if data["outcome"].nunique() < 2:
        return {**out, "skipped": "every clip has the same outcome"}
    exog = np.column_stack([np.ones(len(data)), np.log2(data["spacing"].to_numpy(float)), past])
    fit = fit_logistic_gee(data["outcome"], exog, data["cluster"],
                           "separation: the outcome is determined by the side of the limit")  # fmt: skip
    if isinstance(fit, str):
        return {**out, "skipped": fit}
    params, bse = fit.params, fit.bse
    p, log10_p = normal_p(params[2] / bse[2])
    return {
        **out,
        "formula": "outcome ~ log2(spacing) + past_limit",
        "odds_ratio": math.exp(params[2]),
        "ci_low": math.exp(params[2] - 1.959964 * bse[2]),
        "ci_high": math.exp(params[2] + 1.959964 * bse[2]),
        "p_value": p,
        "log10_p": log10_p,
        "spacing_odds_ratio": math.exp(params[1]),
    }


def loss_past_the_limit(table: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> dict:
    """Of the loss at spacings >= 2 (each video's outcome at its densest spacing minus its outcome there, summed
    over clips), the share on clips past the limit, with a cluster-bootstrap CI; beside it the share of those
    clips that are past it (what the loss share would be if crossing the limit did not matter)."""
    dense = table.loc[table.groupby("video_id")["spacing"].idxmin()].set_index("video_id")["outcome"]
    sparse = table[table["spacing"] >= 2]
    loss = dense.reindex(sparse["video_id"]).to_numpy(float) - sparse["outcome"].to_numpy(float)
    past = (sparse["band"] == "past").to_numpy(bool)
    out = {"n_clips": int(len(sparse)), "clips_past_share": float(past.mean()) if len(past) else math.nan}
    if not len(sparse) or loss.sum() <= 0:
        return {**out, "loss": float(loss.sum()) if len(loss) else 0.0, "share": math.nan, "ci_low": math.nan,
                "ci_high": math.nan}  # fmt: skip
    clusters, _ = pd.factorize(sparse["cluster"])
    total, in_past = np.bincount(clusters, loss), np.bincount(clusters, loss * past)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(total), size=(n_boot, len(total)))
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = in_past[draws].sum(axis=1) / total[draws].sum(axis=1)
    boot = boot[np.isfinite(boot)]
    return {
        **out,
        "loss": float(loss.sum()),
        "share": float(in_past.sum() / total.sum()),
        "ci_low": float(np.quantile(boot, 0.025)) if len(boot) else math.nan,
        "ci_high": float(np.quantile(boot, 0.975)) if len(boot) else math.nan,
    }


def prefilter_contrast(point: pd.DataFrame, filtered: pd.DataFrame, column: str, n_boot: int, seed: int) -> dict:
    """A prefilter against point sampling on the same videos and cells: per band (below / past the limit), each
    video's outcome with and without the filter and the paired difference (filtered minus point; cluster
    bootstrap CI, Wilcoxon signed-rank over clusters). ``point``/``filtered``: one model's predictions; the
    filtered cells are matched to the point cells by name (``cov50_s4_box`` to ``cov50_s4``)."""
    filtered = filtered.assign(variant=filtered["variant"].str.rsplit("_", n=1).str[0])
    common = set(point["variant"]) & set(filtered["variant"])
    out = {"cells": len(common)}
    tables = {name: limit_table(rows[rows["variant"].isin(common)], column) for name, rows in
              (("point", point), ("filtered", filtered))}  # fmt: skip
    for band in ("below", "past"):
        per_video = {}
        for name, table in tables.items():
            rows = table[table["band"] == band]
            per_video[name] = rows.groupby(["video_id", "cluster"])["outcome"].mean()
        both = pd.concat(per_video, axis=1).dropna()
        out[band] = paired_arms(both, "point", "filtered", n_boot, seed)
    return out
