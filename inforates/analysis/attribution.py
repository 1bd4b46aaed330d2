"""What a clip's correctness depends on: the spacing between its frames, how many distinct frames it has, how
much of the video it spans, and -- where the motion's frequency is known (the synthetic benchmark) -- the folded turn
per sampled step that the sampling theorem says decides what is seen. Per-clip facts from the predictions
(``clip_facts``), padding (``clip_lengths``, ``padded``) and a GEE logistic model of correctness on them
(``attribution``), with each predictor's variance inflation (the three sampling facts move together).

    >>> df = pd.DataFrame({"model": "m", "distinct_frames": [8, 5, 8], "median_spacing": [2.0, 4.0, 1.0],
    ...                    "fps": 25.0, "span_frames": [15, 17, 8], "total_frames": 50})
    >>> clip_lengths(df).tolist(), padded(df).tolist()
    ([8, 8, 8], [False, True, False])
    >>> clip_facts(df)[["spacing_seconds", "span_share"]].round(2).values.tolist()
    [[0.08, 0.3], [0.16, 0.34], [0.04, 0.16]]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..aliasing import aliasing_x
from .accuracy import cluster_ids
from .gee import fit_logistic_gee
from .pvalues import normal_p


FACT_COLUMNS = ("distinct_frames", "median_spacing", "fps", "span_frames", "total_frames")
# predictor -> (what the report calls it, the unit its odds ratio is per)
PREDICTORS = {
    "log2_spacing_seconds": ("spacing", "per doubling of the spacing between frames (seconds)"),
    "log2_distinct_frames": ("distinct frames", "per doubling of the distinct frames"),
    "span_tenths": ("span", "per 10 % of the video spanned"),
    "folded_turn_tenths": ("folded turn per step", "per 0.1 revolution of the folded turn between sampled frames"),
}
SAMPLING_PREDICTORS = ("log2_spacing_seconds", "log2_distinct_frames", "span_tenths")
VIF_HIGH = 5.0  # a predictor's separate effect is hard to tell from the others' above this
COLLINEAR_R2 = 0.999  # a predictor this well explained by the ones kept before it is dropped
MAX_ABS_COEF = 15.0  # |log OR| beyond this per unit: the fit is running off towards (quasi-)separation


def has_clip_facts(predictions: pd.DataFrame | None) -> bool:
    """Predictions carry the per-clip facts the attribution needs (``FACT_COLUMNS``)."""
    return predictions is not None and all(
        c in predictions.columns and predictions[c].notna().any() for c in FACT_COLUMNS
    )


def clip_lengths(predictions: pd.DataFrame) -> pd.Series:
    """The model's input length per row: the ``clip_len`` column where present, else the model's (run's) largest
    ``distinct_frames``."""
    longest = predictions.groupby("model")["distinct_frames"].transform("max")
    if "clip_len" in predictions.columns:
        return predictions["clip_len"].fillna(longest).astype(int)
    return longest.astype(int)


def padded(predictions: pd.DataFrame) -> pd.Series:
    """A clip is padded when it has fewer distinct frames than the model's input length."""
    return predictions["distinct_frames"] < clip_lengths(predictions)


def clip_facts(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per row: ``spacing_seconds`` (median_spacing / fps; NaN with one distinct frame), ``span_share``
    (span_frames / total_frames), ``clip_len`` and ``padded``."""
    facts = pd.DataFrame(index=predictions.index)
    facts["distinct_frames"] = predictions["distinct_frames"].astype(float)
    spacing = predictions["median_spacing"].astype(float) / predictions["fps"].astype(float)
    facts["spacing_seconds"] = spacing.where(facts["distinct_frames"] > 1)
    if {"span_frames", "total_frames"} <= set(predictions.columns):
        facts["span_share"] = predictions["span_frames"].astype(float) / predictions["total_frames"].astype(float)
    facts["clip_len"] = clip_lengths(predictions)
    facts["padded"] = facts["distinct_frames"] < facts["clip_len"]
    return facts


def every_clip_has_frequency(predictions: pd.DataFrame) -> bool:
    """Every row has a known motion frequency (``f_hz``): the aliasing term can join the model."""
    return "f_hz" in predictions.columns and bool(predictions["f_hz"].notna().all())


def folded_turn(predictions: pd.DataFrame) -> np.ndarray:
    """The turn between sampled frames, ``x = f_hz * median_spacing / fps`` revolutions, folded into [-0.5, 0.5]
    (x minus the nearest whole number): positive where the true direction shows, negative where it appears reversed."""
    x = aliasing_x(
        predictions["f_hz"].to_numpy(float),
        predictions["median_spacing"].to_numpy(float),
        predictions["fps"].to_numpy(float),
    )
    return x - np.round(x)


def attribution_data(predictions: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The model's rows with their predictors (the three sampling facts, and the folded turn where every row has a
    motion frequency) and cluster; rows with a single distinct frame (no spacing) or missing facts are dropped.
    Returns ``(data, single_frame_rows_dropped)``."""
    facts = clip_facts(predictions)
    data = pd.DataFrame(
        {
            "correct": predictions["correct"].astype(float).to_numpy(),
            "log2_spacing_seconds": np.log2(facts["spacing_seconds"].to_numpy()),
            "log2_distinct_frames": np.log2(facts["distinct_frames"].to_numpy()),
            "span_tenths": 10 * facts["span_share"].to_numpy(),
            "cluster": cluster_ids(predictions).to_numpy(),
        }
    )
    if every_clip_has_frequency(predictions):
        data["folded_turn_tenths"] = 10 * folded_turn(predictions)
    single = int((facts["distinct_frames"] <= 1).sum())
    names = [n for n in PREDICTORS if n in data]
    keep = (facts["distinct_frames"] > 1).to_numpy() & np.isfinite(data[names].to_numpy()).all(axis=1)
    return data[keep].reset_index(drop=True), single


def variance_inflation(data: pd.DataFrame, names: list[str]) -> dict[str, float]:
    """Each predictor's VIF, 1 / (1 - R^2) of its regression on the others (1 alone)."""
    out = {}
    for name in names:
        others = [n for n in names if n != name]
        if not others:
            out[name] = 1.0
            continue
        x = data[name].to_numpy(float)
        design = np.column_stack([np.ones(len(x)), data[others].to_numpy(float)])
        fitted = design @ np.linalg.lstsq(design, x, rcond=None)[0]
        r2 = 1 - ((x - fitted) ** 2).sum() / ((x - x.mean()) ** 2).sum()
        out[name] = float(1 / (1 - r2)) if r2 < 1 else math.inf
    return out


def screen_predictors(data: pd.DataFrame, names=tuple(PREDICTORS), r2_max: float = COLLINEAR_R2):
    """Keep the predictors that vary and are not (almost) collinear with those kept before them, in order.
    Returns ``(kept, {dropped: reason})``."""
    kept, dropped = [], {}
    for name in (n for n in names if n in data):
        x = data[name].to_numpy(float)
        if np.ptp(x) == 0:
            dropped[name] = f"constant: every clip has {name} = {x[0]:g}"
            continue
        if kept:
            design = np.column_stack([np.ones(len(x)), data[kept].to_numpy(float)])
            fitted = design @ np.linalg.lstsq(design, x, rcond=None)[0]
            r2 = 1 - ((x - fitted) ** 2).sum() / ((x - x.mean()) ** 2).sum()
            if r2 > r2_max:
                dropped[name] = f"collinear with {', '.join(kept)} (R^2 = {r2:.4f})"
                continue
        kept.append(name)
    return kept, dropped


def _cluster_unit(predictions: pd.DataFrame) -> str:
    """What :func:`~inforates.analysis.accuracy.cluster_ids` clusters by, in words."""
    segments = "source_video" in predictions.columns and (predictions["source_video"] != predictions["video_id"]).any()
    videos = "source videos" if segments else "videos"
    if "group" not in predictions.columns:
        return videos
    named = predictions["group"].fillna("").astype(str) != ""
    return "source groups" if named.all() else videos if not named.any() else f"source groups (else {videos})"


def attribution(predictions: pd.DataFrame, max_abs_coef: float = MAX_ABS_COEF) -> dict:
    """GEE logistic model of one model's correctness on log2 spacing in seconds, log2 distinct frames, span
    (tenths of the video) and, where every clip's motion frequency is known, the folded turn per step (tenths of a
    revolution): binomial family, exchangeable working correlation within clusters (videos, or source groups),
    robust errors. Odds ratios are per doubling (log2 predictors), per 10 % of the video (span) and per 0.1
    revolution (folded turn); each predictor's ``vif`` says how much the others move with it (``collinear`` lists
    those above :data:`VIF_HIGH`). ``log_or_per_sd`` (log odds ratio per standard deviation of the predictor over
    these clips) is descriptive: no predictor is said to matter *more* than another, which would need a test of
    that. Constant or collinear predictors are dropped with their reason; a fit that separates or does not converge
    is ``{"skipped": reason}``."""
    import statsmodels.api as sm

    data, single = attribution_data(predictions)
    out = {
        "n_rows": len(data),
        "n_clusters": int(data["cluster"].nunique()),
        "single_frame_rows_dropped": single,
        "cluster_unit": _cluster_unit(predictions),
        "predictors": {},
        "dropped": {},
    }
    if len(data) == 0:
        return {**out, "skipped": "no clip has two or more distinct frames"}
    if data["correct"].nunique() < 2:
        verdict = "correct" if data["correct"].iloc[0] else "wrong"
        return {**out, "skipped": f"every clip is {verdict}: nothing to attribute"}
    kept, out["dropped"] = screen_predictors(data)
    if not kept:
        return {**out, "skipped": "no predictor varies over the clips"}
    exog = sm.add_constant(data[kept].to_numpy(float), has_constant="add")
    fit = fit_logistic_gee(data["correct"], exog, data["cluster"],
                           "perfect separation: a predictor splits right from wrong clips")  # fmt: skip
    if isinstance(fit, str):
        return {**out, "skipped": fit}
    params, bse = fit.params, fit.bse
    if np.abs(params[1:]).max() > max_abs_coef:
        return {**out, "skipped": "quasi-perfect separation: the odds ratios run off to infinity"}
    vif = variance_inflation(data, kept)
    for i, name in enumerate(kept, start=1):
        p, log10_p = normal_p(params[i] / bse[i])
        sd = float(data[name].std())
        out["predictors"][name] = {
            "label": PREDICTORS[name][0],
            "unit": PREDICTORS[name][1],
            "coef": float(params[i]),
            "se": float(bse[i]),
            "odds_ratio": math.exp(params[i]),
            "ci_low": math.exp(params[i] - 1.959964 * bse[i]),
            "ci_high": math.exp(params[i] + 1.959964 * bse[i]),
            "p_value": p,
            "log10_p": log10_p,
            "sd": sd,
            "log_or_per_sd": float(params[i] * sd),
            "vif": vif[name],
        }
    out["intercept"] = float(params[0])
    out["working_correlation"] = fit.working_correlation
    out["collinear"] = [name for name in kept if vif[name] > VIF_HIGH]
    out["order"] = list(out["predictors"])
    return out


def attribution_table(result: dict, model: str) -> pd.DataFrame:
    """``attribution.csv`` rows: one per predictor (dropped ones with their reason)."""
    rows = [
        {"model": model, "predictor": name, **{k: v for k, v in fit.items() if k != "label"}, "dropped": ""}
        for name, fit in result["predictors"].items()
    ]
    rows += [
        {"model": model, "predictor": name, "unit": PREDICTORS[name][1], "dropped": reason}
        for name, reason in result["dropped"].items()
    ]
    table = pd.DataFrame(rows)
    for key in ("n_rows", "n_clusters", "single_frame_rows_dropped", "cluster_unit"):
        table[key] = result[key]
    return table
