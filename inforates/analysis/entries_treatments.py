"""Registry entries of the same cells under another treatment, on the same videos (:mod:`.resolution`): each model's
cells at reduced spatial resolutions against its own input (``resolution``), and motion-guided against uniform
sampling at equal budgets (``motion_guided``)."""

from __future__ import annotations

import pandas as pd

from .entry import Entry, Need
from .families import correct
from .markdown import holm_cell, holm_text, interval, markdown_table, points, points_interval
from .resolution import (
    motion_contrasts,
    native_size,
    resolution_by_spacing,
    resolution_contrasts,
    resolution_spacing_table,
)


RESIZED = Need(
    "cells evaluated at reduced spatial resolutions",
    "needs cells evaluated at reduced resolutions beside the model's own input (eval_resolutions)",
    lambda i: any(r.resized is not None and r.predictions is not None for r in i.runs),
)


def _runs(inputs) -> list:
    return [r for r in inputs.runs if r.resized is not None and r.predictions is not None]


def _native_px(run) -> int:
    """The model's input size; without a run.json, twice the largest reduced resolution stands in for it."""
    return native_size(run.info) or 2 * int(run.resized["resolution"].max())


def _resolution(ctx) -> None:
    results, contrasts, fits = {}, [], []
    for run in _runs(ctx.inputs):
        px = _native_px(run)
        resized = run.resized[run.resized["resolution"] < px]  # at or above the input size: the input itself
        if resized.empty:
            ctx.skip(f"spatial resolution ({run.name})", f"every reduced resolution is at least its input ({px} px)")
            continue
        rows = [{"model": run.name, **c} for c in resolution_contrasts(run.predictions, resized, ctx.n_boot,
                                                                       ctx.seed)]  # fmt: skip
        fit = {"model": run.name, **resolution_by_spacing(run.predictions, resized, px)}
        table = resolution_spacing_table(run.predictions, resized, px)
        results[run.name] = {"native_px": px, "contrasts": rows, "by_spacing": fit,
                             "table": {str(r): {str(s): v for s, v in row.items()} for r, row in table.iterrows()}}  # fmt: skip
        contrasts += rows
        fits.append(fit)
    correct(ctx.analysis, "reduced resolution vs the model's input", "accuracy at each reduced resolution minus at "
            "the model's input, on the same videos and cells, per model (Wilcoxon signed-rank, video as unit)",
            contrasts)  # fmt: skip
    correct(ctx.analysis, "resolution x spacing (GEE)", "the interaction of log2(resolution) and log2(spacing) "
            "in a GEE logistic model of correctness, per model (GEE Wald)", fits)  # fmt: skip
    ctx.multimodel["resolution"] = results


def _fragments(analysis, model) -> list[str]:
    result = analysis.multimodel.get("resolution", {}).get(model)
    if not result:
        return []
    out = []
    for c in result["contrasts"]:
        if c.get("significant"):
            out.append(f"at {c['resolution']} px (its input: {result['native_px']} px) its accuracy moves from "
                       f"{c['reference']:.3f} to {c['treated']:.3f} ({points(c['difference'])} points, 95 % CI "
                       f"{points_interval(c['ci_low'], c['ci_high'])}, {holm_text(c)})")  # fmt: skip
    fit = result["by_spacing"]
    if fit.get("significant"):
        direction = "less" if fit["interaction"] < 1 else "more"
        out.append(f"a lower resolution costs it {direction} at larger spacings (GEE interaction x"
                   f"{fit['interaction']:.2f} per doubling of both, 95 % CI "
                   f"{interval(fit['ci_low'], fit['ci_high'], 1.0, 2)}, {holm_text(fit)})")  # fmt: skip
    return out


def _section(analysis, figures) -> list[str]:
    rows, fits = [], []
    for model, result in analysis.multimodel["resolution"].items():
        for c in result["contrasts"]:
            rows.append({
                "model": model, "resolution": f"{c['resolution']} px", "input": f"{result['native_px']} px",
                "cells": c["cells"], "videos": c["n_videos"],
                "at its input": f"{c['reference']:.3f} ({interval(*c['reference_ci'])})",
                "at this resolution": f"{c['treated']:.3f} ({interval(*c['treated_ci'])})",
                "difference (points)": points(c["difference"]),
                "95 % CI": points_interval(c["ci_low"], c["ci_high"]), "Holm p": holm_cell(c),
            })  # fmt: skip
        f = result["by_spacing"]
        fits.append({
            "model": model, "clips": f["n_clips"], "videos": f["n_clusters"],
            "OR per halving of resolution": "" if "skipped" in f else f"{f['halving']['odds_ratio']:.2f}",
            "interaction (per doubling of px and spacing)": f.get("skipped", "") or f"{f['interaction']:.2f}",
            "95 % CI": "" if "skipped" in f else interval(f["ci_low"], f["ci_high"], 1.0, 2),
            "Holm p": "" if "skipped" in f else holm_cell(f),
        })  # fmt: skip
    lines = [
        "## Spatial resolution",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "Each cell evaluated again with every frame downscaled to N x N px (antialiased) and resized back to the "
        "model's input, so the same checkpoint sees less spatial detail (a resolution at or above the input size "
        "is the input itself, and not tested). *at its input* / *at this resolution*: "
        "accuracy over the cells evaluated at both, per video, with cluster-bootstrap CIs; *difference*: paired "
        "within each video, Wilcoxon over videos, Holm over every model and resolution.",
        "",
        markdown_table(pd.DataFrame(fits)),
        "",
        "A GEE logistic model of correctness on log2(resolution), log2(spacing) and their product (clustered by "
        "video): the odds ratio per halving of the resolution at the mean spacing, and the interaction: how the odds "
        "ratio per doubling of the resolution changes per doubling of the spacing (below 1: resolution matters less "
        "where frames are further apart; above 1: more). Holm over the models.",
        "",
    ]
    for model in analysis.multimodel["resolution"]:
        lines += figures.lines(f"{model}/accuracy_by_resolution", f"{model}: accuracy by resolution and spacing")
    return lines


def _draw(analysis, runs, save) -> None:
    from . import plots

    for model, result in analysis.multimodel["resolution"].items():
        table = pd.DataFrame(result["table"]).T
        table.index, table.columns = table.index.astype(int), table.columns.astype(float)
        table = table.sort_index(ascending=False).sort_index(axis=1)
        save(f"{model}/accuracy_by_resolution", plots.resolution_heatmap(table, model, result["native_px"]))


RESOLUTION = Entry(
    "resolution", "spatial resolution",
    "How accuracy changes when the same cells are seen at reduced spatial resolutions, tested per resolution on the "
    "same videos, and whether resolution and temporal spacing interact.",
    _resolution, only_if=(RESIZED,), protocol="paired", json=("multimodel_analysis:resolution",),
    figures=("{model}/accuracy_by_resolution",), draw=_draw, section=_section, model_headline=_fragments,
    terms=("resolution", "GEE", "Wilcoxon", "Holm"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Motion-guided against uniform sampling
# ---------------------------------------------------------------------------------------------------------------
MOTION_AND_UNIFORM = Need(
    "motion_uniform cells beside coverage_stride cells of the same coverage and stride",
    "needs motion_uniform and coverage_stride cells of the same coverages and strides (eval_samplers: "
    "[coverage_stride, motion_uniform])",
    lambda i: any(
        r.predictions is not None and {"motion_uniform", "coverage_stride"} <= set(r.predictions["sampler"])
        for r in i.runs
    ),
)


def _motion(ctx) -> None:
    results, tests = {}, []
    for run in ctx.inputs.runs:
        if run.predictions is None or "sampler" not in run.predictions:
            continue
        rows = [{"model": run.name, **c} for c in motion_contrasts(run.predictions, ctx.n_boot, ctx.seed)]
        if rows:
            results[run.name] = rows
            tests += [r for r in rows if r["cell"] != "all"] if len(rows) > 1 else rows
    correct(ctx.analysis, "motion-guided vs uniform sampling", "accuracy with motion_uniform minus coverage_stride "
            "frames in the same window at the same budget, per model and cell (Wilcoxon signed-rank, video as "
            "unit)", tests)  # fmt: skip
    pooled = [r for rows in results.values() for r in rows if r["cell"] == "all"]
    correct(ctx.analysis, "motion-guided vs uniform sampling, over the cells", "the same over every matched cell "
            "of a model (Wilcoxon signed-rank, video as unit)", pooled)  # fmt: skip
    ctx.multimodel["motion_guided"] = results


def _motion_fragments(analysis, model) -> list[str]:
    out = []
    for r in analysis.multimodel.get("motion_guided", {}).get(model, []):
        if r.get("significant"):
            where = "over its matched cells" if r["cell"] == "all" else f"at {r['cell']}"
            out.append(f"motion-guided sampling moves its accuracy {where} from {r['reference']:.3f} to "
                       f"{r['treated']:.3f} ({points(r['difference'])} points, 95 % CI "
                       f"{points_interval(r['ci_low'], r['ci_high'])}, {holm_text(r)})")  # fmt: skip
    return out


def _motion_section(analysis, figures) -> list[str]:
    rows = [{
        "model": model, "cell": r["cell"], "cells": r["cells"], "videos": r["n_videos"],
        "uniform": f"{r['reference']:.3f} ({interval(*r['reference_ci'])})",
        "motion-guided": f"{r['treated']:.3f} ({interval(*r['treated_ci'])})",
        "difference (points)": points(r["difference"]), "95 % CI": points_interval(r["ci_low"], r["ci_high"]),
        "Holm p": holm_cell(r),
    } for model, results in analysis.multimodel["motion_guided"].items() for r in results]  # fmt: skip
    return [
        "## Motion-guided against uniform sampling",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "`motion_uniform` (MGSampler) takes the clip's frames at equal steps of the video's cumulative motion, "
        "`coverage_stride` at equal steps of time, in the same coverage window with the same candidates and the "
        "same number of frames. Per video, accuracy in each arm and the paired difference (cluster-bootstrap CI, "
        "Wilcoxon over videos); Holm over every model and cell, and separately over the models' pooled rows "
        "(*all*).",
        "",
    ]


MOTION_GUIDED = Entry(
    "motion_guided", "motion-guided vs uniform sampling",
    "Whether taking a clip's frames at equal steps of motion rather than of time changes accuracy at the same "
    "budget, on the same videos.",
    _motion, only_if=(MOTION_AND_UNIFORM,), protocol="paired", json=("multimodel_analysis:motion_guided",),
    section=_motion_section, model_headline=_motion_fragments, terms=("motion-guided", "Wilcoxon", "Holm"),
)  # fmt: skip
