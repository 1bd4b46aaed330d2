"""The registry entry that says what each cell really showed: its facts (spacing, span, distinct frames, padding,
videos too short for it, the cell it aliases), and which test protocol each run used.
"""

from __future__ import annotations

import math

import pandas as pd

from ..schema import FACT_COLUMNS
from .entry import Entry


FACTS_TABLE_COLUMNS = ["model", "variant", "accuracy", "total", *FACT_COLUMNS]


def run_protocol(run) -> str:
    """The test protocol of a run: from its run.json; the 2025 study's tables are 50-frame segments."""
    if run.info.get("protocol"):
        return str(run.info["protocol"])
    return (
        "segments of 50 frames (the 2025 study's tables)" if run.kind == "tables" and not run.info else "whole videos"
    )


def _facts(ctx) -> None:
    protocols = {run.name: run_protocol(run) for run in ctx.inputs.runs}
    summary = {model: {"protocol": protocol} for model, protocol in protocols.items()}
    results = ctx.inputs.results
    if set(FACT_COLUMNS) <= set(results.columns):
        table = results.loc[results["distinct_frames"].notna(), [c for c in FACTS_TABLE_COLUMNS if c in results]]
        table = table.assign(same_frames_as=table["same_frames_as"].fillna(""))
        ctx.tables["cell_facts"] = table
        for model, cells in table.groupby("model", sort=False):
            aliases = cells[cells["same_frames_as"] != ""]
            summary[model].update(
                cells=len(cells),
                distinct_cells=len(cells) - len(aliases),
                aliases=dict(zip(aliases["variant"], aliases["same_frames_as"])),
                padded_cells=int((cells["padded_share"] > 0).sum()),
                too_short=int(cells["too_short"].sum()),
            )
    ctx.analysis.statistical["cell_facts"] = {"per_model": summary, "protocols": sorted(set(protocols.values()))}


def _facts_finding(analysis) -> list[str]:
    facts = analysis.statistical.get("cell_facts")
    if facts is None:
        return []
    out = []
    if len(facts["protocols"]) > 1:
        out.append("**These runs used different test protocols** ("
                   + "; ".join(f"{m}: {s['protocol']}" for m, s in facts["per_model"].items())
                   + "): their accuracies are not comparable cell by cell.")  # fmt: skip
    for model, s in facts["per_model"].items():
        if "cells" not in s:
            continue  # aggregate tables: no indices, no facts
        line = (f"{model} ({s['protocol']}): {s['distinct_cells']} distinct cells of {s['cells']}; "
                f"{s['padded_cells']} pad (fewer distinct frames than the model takes)")  # fmt: skip
        if s["aliases"]:
            pairs = ", ".join(f"{a} = {b}" for a, b in s["aliases"].items())
            line += f"; same frames as an earlier cell, reported but not tested again: {pairs}"
        if s["too_short"]:
            line += f"; {s['too_short']} clips left out as too short for their cell"
        out.append(line + ".")
    return out


def _spacing_text(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def facts_markdown(table: pd.DataFrame, model: str) -> str:
    """The report's facts table of one model: a row per cell."""
    cells = table[table["model"] == model]
    lines = ["| cell | accuracy | clips | spacing (frames / s) | span (s) | distinct frames | padded | too short | "
             "same frames as |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for row in cells.itertuples(index=False):
        accuracy = "" if pd.isna(row.accuracy) else f"{row.accuracy:.3f}"
        lines.append(
            f"| `{row.variant}` | {accuracy} | {int(row.total)} | {_spacing_text(row.spacing_frames)} / "
            f"{_spacing_text(row.spacing_seconds)} | {_spacing_text(row.span_seconds)} | "
            f"{_spacing_text(row.distinct_frames)} | {row.padded_share:.0%} | {int(row.too_short)} | "
            f"{'`' + row.same_frames_as + '`' if row.same_frames_as else ''} |"
        )
    return "\n".join(lines)


CELL_FACTS = Entry(
    "cell_facts", "cell facts",
    "What each cell really showed (spacing, span, distinct frames, padding, too-short videos, aliases) and each "
    "run's test protocol.",
    _facts, tables=("cell_facts",), json=("statistical_results:cell_facts",), finding=_facts_finding,
)  # fmt: skip
