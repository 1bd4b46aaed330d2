"""Registry entries of accuracy, under every protocol: every cell with its CIs (``accuracy_by_variant``), each
model's densest cell (the first screen's figure), and its highest cell with an interval that allows for having
picked it among all cells (``best``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..result_grids import design_grids
from ..schema import primary_grid
from .accuracy import accuracy_by_variant, simultaneous_interval
from .densest import DENSEST_RULE, densest_cell
from .entry import Entry
from .families import correct
from .markdown import interval, markdown_table
from .needs import PREDICTIONS
from .paired import correctness_matrix, mcnemar_counts


def _interval_of(row: dict) -> tuple[float, float, str]:
    """The row's cluster-bootstrap interval where it has one, else its Wilson interval."""
    low, high = row.get("boot_low"), row.get("boot_high")
    if low is None or pd.isna(low):
        return row["ci_low"], row["ci_high"], "Wilson"
    return low, high, "bootstrap"


# ---------------------------------------------------------------------------------------------------------------
# Every cell
# ---------------------------------------------------------------------------------------------------------------
def _accuracy(ctx) -> None:
    accuracy = [r.results for r in ctx.inputs.runs if r.predictions is None]
    if ctx.met(PREDICTIONS):
        accuracy.insert(0, accuracy_by_variant(ctx.inputs.predictions, n_boot=ctx.n_boot, seed=ctx.seed))
    ctx.tables["accuracy_by_variant"] = pd.concat(accuracy, ignore_index=True)


def _draw_accuracy(analysis, runs, save) -> None:
    from . import plots

    accuracy = analysis.tables["accuracy_by_variant"]
    for run in runs:
        save(f"{run.name}/accuracy_heatmap", plots.accuracy_heatmap(accuracy[accuracy["model"] == run.name]))
        save(f"{run.name}/accuracy_vs_coverage", plots.accuracy_vs_coverage(primary_grid(accuracy), run.name))
    if len(runs) >= 2:
        save("comparison_accuracy_vs_coverage", plots.comparison_accuracy_vs_coverage(primary_grid(accuracy)))
        save("comparison_heatmaps", plots.comparison_heatmaps(primary_grid(accuracy)))


def _accuracy_section(analysis, figures) -> list[str]:
    accuracy = analysis.tables["accuracy_by_variant"]
    lines = [
        "## Accuracy of each sampling design",
        "",
        "Each design (sampler, anchor) on its own axes; 95 % intervals of every cell in "
        "`accuracy_by_variant.csv` (cluster bootstrap where there are per-video predictions, else Wilson).",
        "",
    ]
    for model in analysis.models:
        lines += [f"### {model}", ""]
        for grid in design_grids(accuracy[accuracy["model"] == model]):
            lines += [f"{grid.title}:", "", grid.markdown(), ""]
        lines += figures.lines(f"{model}/accuracy_heatmap", f"{model}/accuracy_vs_coverage")
    return lines + figures.lines("comparison_accuracy_vs_coverage", "comparison_heatmaps")


ACCURACY = Entry(
    "accuracy_by_variant", "accuracy by variant",
    "Accuracy of every model and cell, each design on its own axes, with Wilson and cluster-bootstrap CIs.", _accuracy,
    partial=(("cluster-bootstrap CIs", PREDICTIONS),), tables=("accuracy_by_variant",),
    figures=("{model}/accuracy_heatmap", "{model}/accuracy_vs_coverage", "comparison_accuracy_vs_coverage",
             "comparison_heatmaps"),
    draw=_draw_accuracy, section=_accuracy_section, terms=("cell", "CI"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The densest cell
# ---------------------------------------------------------------------------------------------------------------
def _densest(ctx) -> None:
    accuracy = ctx.tables["accuracy_by_variant"]
    densest = {}
    for run in ctx.inputs.runs:
        variant = densest_cell(run.results)
        rows = accuracy[(accuracy["model"] == run.name) & (accuracy["variant"] == variant)]
        if variant is None or rows.empty:
            continue
        row = rows.iloc[0].to_dict()
        low, high, kind = _interval_of(row)
        densest[run.name] = {
            "variant": variant,
            "accuracy": row["accuracy"],
            "ci_low": low,
            "ci_high": high,
            "interval": kind,
            "clips": int(row["total"]),
        }
    ctx.multimodel["densest"] = {"rule": DENSEST_RULE, "per_model": densest}


def _densest_columns(analysis) -> dict[str, dict[str, str]]:
    per_model = analysis.multimodel["densest"]["per_model"]
    return {
        "accuracy at the densest cell (95 % CI)": {
            m: f"{d['accuracy']:.3f} at `{d['variant']}` ({interval(d['ci_low'], d['ci_high'])})"
            for m, d in per_model.items()
        }
    }


DENSEST = Entry(
    "densest", "densest cell",
    "Each model's accuracy where it sees the most distinct frames, closest together (at full information).", _densest,
    json=("multimodel_analysis:densest",), summary_columns=_densest_columns, terms=("densest cell",),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The highest cell
# ---------------------------------------------------------------------------------------------------------------
def _best(ctx) -> None:
    accuracy = ctx.tables["accuracy_by_variant"]
    best, rows = {}, []
    for run in ctx.inputs.runs:
        distinct = (
            set(run.results.loc[run.results["same_frames_as"].fillna("") == "", "variant"])
            if ("same_frames_as" in run.results)
            else set(run.results["variant"])
        )
        cells = accuracy[
            (accuracy["model"] == run.name) & accuracy["variant"].isin(distinct) & (accuracy["total"] > 0)
        ]
        if cells.empty:
            continue
        top = cells.loc[cells["accuracy"].astype(float).idxmax()].to_dict()
        low, high = simultaneous_interval(run.predictions, top, len(cells), ctx.n_boot, ctx.seed)
        record = {
            "variant": top["variant"],
            "accuracy": top["accuracy"],
            "cells": len(cells),
            "simultaneous_low": low,
            "simultaneous_high": high,
        }
        if run.predictions is not None:
            matrix = correctness_matrix(run.tested, run.name)
            others = [v for v in matrix.columns if v != top["variant"]]
            x = matrix.to_numpy(int)
            t = matrix.columns.get_loc(top["variant"])
            o = [matrix.columns.get_loc(v) for v in others]
            tests = mcnemar_counts(
                ((x[:, t : t + 1] == 1) & (x[:, o] == 0)).sum(axis=0),
                ((x[:, t : t + 1] == 0) & (x[:, o] == 1)).sum(axis=0),
            )
            tests.insert(0, "variant", others)
            tests.insert(0, "model", run.name)
            tests["accuracy"] = x[:, o].mean(axis=0) if o else np.array([])
            comparisons = tests.to_dict(orient="records")
            correct(
                ctx.analysis,
                f"highest cell of {run.name} vs its other cells",
                f"McNemar, {run.name}'s highest cell against each other distinct cell",
                comparisons,
            )
            record["not_distinguishable"] = [c["variant"] for c in comparisons if not c["significant"]]
            rows += comparisons
        best[run.name] = record
    ctx.multimodel["best"] = best
    if rows:
        ctx.tables["highest_cell_mcnemar"] = pd.DataFrame(rows)


def _best_section(analysis, figures) -> list[str]:
    best = analysis.multimodel.get("best", {})
    if not best:
        return []
    rows = []
    for model, b in best.items():
        tied = b.get("not_distinguishable")
        if tied is not None and len(tied) > 6:
            tied = [f"{len(tied)} of the {b['cells'] - 1} others"]
        rows.append(
            {
                "model": model,
                "highest cell": f"`{b['variant']}`",
                "accuracy": b["accuracy"],
                f"simultaneous 95 % CI (of {b['cells']} cells)": interval(
                    b["simultaneous_low"], b["simultaneous_high"]
                ),
                "cells not distinguishable from it": "not tested"
                if tied is None
                else (", ".join(v if " " in v else f"`{v}`" for v in tied) or "none"),
            }
        )
    return [
        "## The highest cell of each model",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "The highest of many cells is partly chance: its interval is widened for the choice (Bonferroni over "
        "the distinct cells), and the cells whose accuracy the McNemar tests against it (Holm within the model; "
        "`highest_cell_mcnemar.csv`) cannot tell apart are listed. A cell is 'the best' only where that list "
        "is empty.",
        "",
    ]


BEST = Entry(
    "best", "highest cell",
    "Each model's highest cell, with an interval allowing for having picked it, and the cells it cannot be told from.",
    _best, json=("multimodel_analysis:best",), tables=("highest_cell_mcnemar",), section=_best_section,
    terms=("simultaneous CI", "McNemar", "Holm"),
)  # fmt: skip
