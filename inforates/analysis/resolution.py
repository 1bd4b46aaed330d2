"""The same cells under another treatment, compared on the same videos: reduced spatial resolutions
(``eval_resolutions``) against the model's own input, and motion-guided against uniform sampling.

    contrasts = resolution_contrasts(run.predictions, run.resized, n_boot=1000)   # one per reduced resolution
    motion = motion_contrasts(run.predictions, n_boot=1000)                      # motion_uniform vs uniform cells
    fit = resolution_by_spacing(run.predictions, run.resized, native_px=32)       # does resolution act with spacing?
    table = resolution_spacing_table(run.predictions, run.resized, native_px=32)  # accuracy, resolution x spacing

A reduced-resolution cell (``cov50_s4_r16``) is matched to its native cell (``cov50_s4``) by name, a motion-guided
cell (``motion_uniform_cov50_s4``) to the uniform one; each video's accuracy over the matched cells is compared
paired (:func:`paired_cells`; the video as unit: cluster bootstrap CI, Wilcoxon signed-rank).
The interaction is a GEE logistic model clustered by video.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from .accuracy import cluster_ids
from .gee import fit_logistic_gee
from .nyquist import paired_arms


_SUFFIX = re.compile(r"_r\d+$")


def native_size(info: dict) -> int | None:
    """The model's own input size in pixels, from a run's ``run.json`` (its processor's crop, else resize)."""
    processor = (info or {}).get("processor") or {}
    size = processor.get("crop_size") or processor.get("resize_to") or processor.get("shortest_edge")
    if isinstance(size, (list, tuple)):
        size = min(size)
    return int(size) if size else None


def _per_video(rows: pd.DataFrame, cells: set[str]) -> pd.Series:
    rows = rows[rows["variant"].isin(cells)]
    return rows.assign(cluster=cluster_ids(rows).to_numpy()).groupby(["video_id", "cluster"])["correct"].mean()


def paired_cells(reference: pd.DataFrame, treated: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> dict:
    """The same cells under a reference and a treatment (``treated``'s variants named as their reference cells):
    each video's accuracy over the cells both have, in each arm (cluster-bootstrap CIs), and the paired
    difference, treated minus reference (cluster bootstrap CI, Wilcoxon signed-rank over videos)."""
    cells = set(treated["variant"]) & set(reference["variant"])
    both = pd.concat({"reference": _per_video(reference, cells), "treated": _per_video(treated, cells)}, axis=1)
    return {"cells": len(cells), **paired_arms(both.dropna(), "reference", "treated", n_boot, seed)}


def resolution_contrasts(native: pd.DataFrame, resized: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> list:
    """Per reduced resolution (largest first): :func:`paired_cells` of its cells against the same cells at the
    model's input (``reference``: native, ``treated``: this resolution)."""
    out = []
    for px in sorted(resized["resolution"].unique(), reverse=True):
        rows = resized[resized["resolution"] == px]
        rows = rows.assign(variant=rows["variant"].str.replace(_SUFFIX, "", regex=True))
        out.append({"resolution": int(px), **paired_cells(native, rows, n_boot, seed)})
    return out


def motion_contrasts(predictions: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> list:
    """Motion-guided against uniform sampling at equal budgets: each ``motion_uniform`` cell against the
    ``coverage_stride`` cell of the same coverage and stride (the same window, candidates and clip length; only
    where the frames fall differs), :func:`paired_cells` per cell and over all of them."""
    guided = predictions[predictions["sampler"] == "motion_uniform"]
    uniform = predictions[predictions["sampler"] == "coverage_stride"]
    guided = guided.assign(variant=guided["variant"].str.replace("motion_uniform_", "", regex=False))
    common = sorted(set(guided["variant"]) & set(uniform["variant"]), key=lambda v: list(guided["variant"]).index(v))
    out = [{"cell": cell, **paired_cells(uniform, guided[guided["variant"] == cell], n_boot, seed)} for cell in common]
    if len(common) > 1:
        out.append({"cell": "all", **paired_cells(uniform, guided, n_boot, seed)})
    return out


def _clips(native: pd.DataFrame, resized: pd.DataFrame, native_px: int) -> pd.DataFrame:
    both = pd.concat([native.assign(resolution=native_px), resized], ignore_index=True)
    spacing = both["median_spacing"].astype(float).where(lambda s: s > 0, 1.0).fillna(1.0)
    return pd.DataFrame({
        "outcome": both["correct"].astype(float).to_numpy(), "log2_px": np.log2(both["resolution"].astype(float)),
        "log2_spacing": np.log2(spacing.to_numpy()), "cluster": cluster_ids(both).to_numpy(),
        "resolution": both["resolution"].astype(int).to_numpy(), "spacing": spacing.to_numpy(),
    })  # fmt: skip


def resolution_by_spacing(native: pd.DataFrame, resized: pd.DataFrame, native_px: int) -> dict:
    """GEE logistic ``correct ~ log2(px) + log2(spacing) + log2(px):log2(spacing)`` over every clip at every
    resolution (binomial, exchangeable within videos, robust errors): the odds ratio per halving of the
    resolution, and the interaction (how that ratio changes per doubling of the spacing), with CIs and Wald p."""
    from .pvalues import normal_p

    data = _clips(native, resized, native_px)
    out = {"n_clips": int(len(data)), "n_clusters": int(data["cluster"].nunique()),
           "formula": "correct ~ log2(px) + log2(spacing) + log2(px):log2(spacing)"}  # fmt: skip
    if data["outcome"].nunique() < 2 or data["log2_px"].nunique() < 2:
        return {**out, "skipped": "every clip has the same outcome, or one resolution"}
    centred_px, centred_sp = (
        data["log2_px"] - data["log2_px"].mean(),
        data["log2_spacing"] - data["log2_spacing"].mean(),
    )
    exog = np.column_stack([np.ones(len(data)), centred_px, centred_sp, centred_px * centred_sp])
    fit = fit_logistic_gee(data["outcome"], exog, data["cluster"],
                           "separation: the outcome is determined by the resolution and spacing")  # fmt: skip
    if isinstance(fit, str):
        return {**out, "skipped": fit}
    params, bse = fit.params, fit.bse
    z = 1.959964
    halving = {"odds_ratio": math.exp(-params[1]), "ci_low": math.exp(-params[1] - z * bse[1]),
               "ci_high": math.exp(-params[1] + z * bse[1])}  # fmt: skip
    p, log10_p = normal_p(params[3] / bse[3])
    return {
        **out,
        "halving": halving,  # per halving of the resolution, at the mean log spacing
        "interaction": math.exp(params[3]),  # the ratio of the odds ratio per doubling of px, per doubling of spacing
        "ci_low": math.exp(params[3] - z * bse[3]),
        "ci_high": math.exp(params[3] + z * bse[3]),
        "p_value": p,
        "log10_p": log10_p,
    }


def resolution_spacing_table(native: pd.DataFrame, resized: pd.DataFrame, native_px: int) -> pd.DataFrame:
    """Accuracy per resolution (rows, px, largest first) and spacing between sampled frames (columns: each clip's
    median spacing in frames, rounded), over every cell; the number of clips per entry in ``attrs["clips"]``."""
    data = _clips(native, resized, native_px)
    data["spacing"] = data["spacing"].round().astype(int)
    table = data.pivot_table(index="resolution", columns="spacing", values="outcome", aggfunc="mean")
    table.attrs["clips"] = data.pivot_table(index="resolution", columns="spacing", values="outcome", aggfunc="size")
    return table.sort_index(ascending=False)
