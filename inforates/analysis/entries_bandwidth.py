"""Registry entries of the temporal bandwidth: each video's predicted limit (from the benchmark's metadata or the
estimate of ``inforates bandwidth``), and the anti-aliasing prefilter against point sampling (:mod:`.limits`)."""

from __future__ import annotations

import math

import pandas as pd

from .entry import Entry, Need
from .families import correct
from .limits import (
    FREQUENCIES,
    direction_task,
    has_frequency,
    limit_given_spacing,
    limit_table,
    loss_past_the_limit,
    prefilter_contrast,
    within_video_contrast,
)
from .markdown import holm_cell, holm_text, interval, markdown_table, points, points_interval
from .nyquist import design_rows, nyquist_check


ANY_FREQUENCY = Need(
    "a motion frequency per video (f_hz, or f_hz_est from inforates bandwidth)",
    "needs predictions with a motion frequency (the benchmark's f_hz, or f_hz_est: run `inforates bandwidth` "
    "before evaluating)",
    lambda i: any(has_frequency(i.predictions, column) for column in FREQUENCIES),
)
PREFILTERED = Need(
    "cells evaluated with a temporal prefilter",
    "needs cells evaluated with a prefilter beside point sampling (eval_prefilters)",
    lambda i: any(r.prefiltered is not None and r.predictions is not None for r in i.runs),
)


def _outcome(rows: pd.DataFrame) -> str:
    return "direction accuracy" if direction_task(rows) else "accuracy"


# ---------------------------------------------------------------------------------------------------------------
# The predicted limit
# ---------------------------------------------------------------------------------------------------------------
def _limit(ctx) -> None:
    rows = design_rows(ctx.inputs.tested)
    sources = [column for column in FREQUENCIES if has_frequency(rows, column)]
    models, contrasts, fits = {}, [], []
    for model, predictions in rows.groupby("model", sort=False):
        for column in sources:
            table = limit_table(predictions, column)
            if table.empty:
                continue
            result = {
                "contrast": {"model": model, "source": FREQUENCIES[column],
                             **within_video_contrast(table, ctx.n_boot, ctx.seed)},
                "given_spacing": {"model": model, "source": FREQUENCIES[column], **limit_given_spacing(table)},
                "loss": loss_past_the_limit(table, ctx.n_boot, ctx.seed),
            }  # fmt: skip
            models.setdefault(str(model), {})[FREQUENCIES[column]] = result
            contrasts.append(result["contrast"])
            fits.append(result["given_spacing"])
    correct(ctx.analysis, "predicted limit (within video)", "outcome below minus past each video's predicted limit, "
            "per model and frequency source (Wilcoxon signed-rank, video as unit)", contrasts)  # fmt: skip
    correct(ctx.analysis, "crossing the predicted limit given spacing (GEE)", "odds ratio of being past the "
            "limit at the same spacing, per model and frequency source (GEE Wald)", fits)  # fmt: skip
    section = {"outcome": _outcome(rows), "sources": [FREQUENCIES[c] for c in sources], "models": models}
    if len(sources) == 2 and direction_task(rows):  # the estimate's Nyquist check beside the metadata's
        checks = {FREQUENCIES[c]: nyquist_check(rows.assign(f_hz=rows[c]), exclude=ctx.nyquist_exclude,
                                                n_boot=ctx.n_boot, seed=ctx.seed) for c in sources}  # fmt: skip
        section["nyquist_check"] = checks
    ctx.multimodel["predicted_limit"] = section


def _best_source(result: dict) -> str:
    return "estimate" if "estimate" in result else next(iter(result))


def _limit_fragments(analysis, model) -> list[str]:
    section = analysis.multimodel.get("predicted_limit", {})
    result = section.get("models", {}).get(model)
    if not result:
        return []
    source = _best_source(result)
    fit, loss = result[source]["given_spacing"], result[source]["loss"]
    out = []
    if fit.get("significant"):
        out.append(
            f"past each video's predicted limit ({source} frequency) its odds of the right "
            f"{'direction' if section['outcome'] == 'direction accuracy' else 'class'} are x{fit['odds_ratio']:.2f} "
            f"those at the same spacing below it (GEE, 95 % CI {interval(fit['ci_low'], fit['ci_high'], 1.0, 2)}, "
            f"{holm_text(fit)})"
        )
    # the share is read only where crossing the limit is shown to matter (a loss near zero has no share to speak of)
    if fit.get("significant") and not math.isnan(loss.get("share", math.nan)):
        out.append(
            f"{100 * loss['share']:.0f} % of its loss at spacings >= 2 falls past the predicted limit (95 % CI "
            f"{points_interval(loss['ci_low'], loss['ci_high']).replace('+', '')} %), on "
            f"{100 * loss['clips_past_share']:.0f} % of those clips"
        )
    return out


def _limit_section(analysis, figures) -> list[str]:
    section = analysis.multimodel["predicted_limit"]
    rows = []
    for model, sources in section["models"].items():
        for source, r in sources.items():
            c, g, loss = r["contrast"], r["given_spacing"], r["loss"]
            rows.append({
                "model": model, "frequency": source, "videos": c["n_videos"], "below": c["below"],
                "past": c["past"], "difference (points)": points(c["difference"]),
                "95 % CI": points_interval(c["ci_low"], c["ci_high"]), "Holm p": holm_cell(c),
                "OR past, same spacing": "" if "skipped" in g else f"{g['odds_ratio']:.2f}",
                "OR 95 % CI": "" if "skipped" in g else interval(g["ci_low"], g["ci_high"], 1.0, 2),
                "OR Holm p": g.get("skipped", "") or holm_cell(g),
                "loss past the limit": "" if math.isnan(loss["share"]) else f"{100 * loss['share']:.0f} %",
                "clips past it": f"{100 * loss['clips_past_share']:.0f} %",
            })  # fmt: skip
    outcome = section["outcome"]
    lines = [
        "## Each video's predicted limit (temporal bandwidth)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        f"Every clip gets the turn per step its video's motion frequency predicts, x = f x spacing / fps (f from "
        f"the benchmark's metadata, or estimated by `inforates bandwidth`), and is below the limit (x < 0.4; for a "
        f"rotation's direction frac(x) < 0.4) or past it (x > 0.6; 0.6 < frac(x) < 0.9). *below* / *past*: "
        f"{outcome} within each video (videos with clips on both sides), their difference with a cluster-bootstrap "
        "CI and a Wilcoxon test over videos. *OR past, same spacing*: a GEE logistic model of the outcome on "
        "log2(spacing) and being past the limit: the odds ratio of crossing the limit at the same spacing (videos "
        "of other frequencies cross at other spacings, which separates the two). *Loss past the limit*: of the "
        "loss from each video's densest spacing to spacings >= 2, the share on clips past the limit; *clips past "
        "it*: the share those clips are of all such clips (the loss share if the limit did not matter).",
        "",
    ]
    for source, check in section.get("nyquist_check", {}).items():
        w = check["within_video"]
        lines.append(f"- Nyquist check with the {source} frequency: {check['verdict']}, {w['below']:.3f} below / "
                     f"{w['above']:.3f} past, difference {w['difference']:.3f} (95 % CI "
                     f"{interval(w['ci_low'], w['ci_high'], 0.0)}) over {w['n_videos']} videos.")  # fmt: skip
    return lines + ([""] if section.get("nyquist_check") else [])


PREDICTED_LIMIT = Entry(
    "predicted_limit", "predicted limit",
    "Whether accuracy falls where each video's own motion frequency predicts aliasing, beyond what spacing alone "
    "explains, and how much of the loss at large spacings falls there.",
    _limit, only_if=(ANY_FREQUENCY,), protocol="paired", json=("multimodel_analysis:predicted_limit",),
    section=_limit_section, model_headline=_limit_fragments, terms=("predicted limit", "GEE", "Wilcoxon", "Holm"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The remedy: a temporal prefilter against point sampling
# ---------------------------------------------------------------------------------------------------------------
def _antialias(ctx) -> None:
    results, tests = {}, []
    for run in ctx.inputs.runs:
        if run.prefiltered is None or run.predictions is None:
            continue
        column = next((c for c in FREQUENCIES if has_frequency(run.predictions, c)), None)
        if column is None:
            ctx.skip(f"prefilter vs point sampling ({run.name})", ANY_FREQUENCY.reason)
            continue
        for prefilter, rows in run.prefiltered.groupby("prefilter", sort=False):
            result = prefilter_contrast(design_rows(run.predictions), design_rows(rows), column, ctx.n_boot, ctx.seed)
            result["frequency"] = FREQUENCIES[column]
            results.setdefault(run.name, {})[str(prefilter)] = result
            tests += [result["below"], result["past"]]
    correct(ctx.analysis, "prefilter vs point sampling", "outcome with the prefilter minus without, below and past "
            "the predicted limit, per model and prefilter (Wilcoxon signed-rank, video as unit)", tests)  # fmt: skip
    ctx.multimodel["antialias"] = results


def _antialias_fragments(analysis, model) -> list[str]:
    out = []
    for prefilter, r in analysis.multimodel.get("antialias", {}).get(model, {}).items():
        for band, where in (("past", "past the predicted limit"), ("below", "below it")):
            t = r[band]
            if t.get("significant"):
                out.append(f"the {prefilter} prefilter moves it {where} from {t['point']:.3f} to {t['filtered']:.3f} "
                           f"({points(t['difference'])} points, 95 % CI {points_interval(t['ci_low'], t['ci_high'])}, "
                           f"{holm_text(t)})")  # fmt: skip
    return out


def _with_ci(test: dict, arm: str) -> str:
    low, high = test.get(f"{arm}_ci", [math.nan, math.nan])
    return f"{test[arm]:.3f} ({interval(low, high)})"


def _antialias_section(analysis, figures) -> list[str]:
    rows = []
    for model, prefilters in analysis.multimodel["antialias"].items():
        for prefilter, r in prefilters.items():
            for band in ("below", "past"):
                t = r[band]
                rows.append({
                    "model": model, "prefilter": prefilter, "frequency": r["frequency"], "band": band,
                    "videos": t["n_videos"], "point": _with_ci(t, "point"), "prefiltered": _with_ci(t, "filtered"),
                    "difference (points)": points(t["difference"]),
                    "95 % CI": points_interval(t["ci_low"], t["ci_high"]), "Holm p": holm_cell(t),
                })  # fmt: skip
    return [
        "## Temporal anti-aliasing: prefiltered against point-sampled cells",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "The same videos and cells evaluated point-sampled and with a prefilter (each sampled frame the mean of the "
        "frames in its spacing window: `box`; weighted `triangle`), split by each video's predicted limit as above. "
        "*difference*: prefiltered minus point, within each video, with a cluster-bootstrap CI and a Wilcoxon test "
        "over videos, Holm over every model, prefilter and band. Sampling theory predicts that past the limit a "
        "filtered clip loses the motion (a direction near chance) rather than showing it reversed.",
        "",
    ]


ANTIALIAS = Entry(
    "antialias", "prefilter vs point sampling",
    "Whether a temporal prefilter (low-pass before subsampling) changes accuracy below and past each video's "
    "predicted limit, against point sampling on the same videos and cells.",
    _antialias, only_if=(PREFILTERED,), protocol="paired", json=("multimodel_analysis:antialias",),
    section=_antialias_section, model_headline=_antialias_fragments, terms=("prefilter", "predicted limit", "Holm"),
)  # fmt: skip
