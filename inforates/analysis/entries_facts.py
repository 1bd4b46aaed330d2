"""The registry entry that says what was compared and what each cell really showed: the inputs and their test
protocols, every cell's facts (spacing, span, distinct frames, padding, videos too short for it, the cell it
aliases), for every design a run evaluated.
"""

from __future__ import annotations

import math

import pandas as pd

from ..result_grids import design_grids
from ..schema import FACT_COLUMNS
from .entry import Entry
from .markdown import markdown_table


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
    summary = {}
    tables = []
    for run in ctx.inputs.runs:
        cells = run.results.assign(model=run.name)
        summary[run.name] = {
            "protocol": protocols[run.name],
            "input": run.kind,
            "source": str(run.source),
            "videos": int(run.predictions["video_id"].nunique()) if run.predictions is not None else None,
            "cells": len(cells),
            "designs": [g.title for g in design_grids(cells)],
        }
        if not (set(FACT_COLUMNS) <= set(cells.columns) and cells["distinct_frames"].notna().any()):
            continue  # aggregate tables: no indices, no facts
        table = cells.loc[cells["distinct_frames"].notna(), [c for c in FACTS_TABLE_COLUMNS if c in cells]]
        table = table.assign(same_frames_as=table["same_frames_as"].fillna(""))
        tables.append(table)
        aliases = table[table["same_frames_as"] != ""]
        summary[run.name].update(
            distinct_cells=len(table) - len(aliases),
            aliases=dict(zip(aliases["variant"], aliases["same_frames_as"])),
            padded_cells=int((table["padded_share"] > 0).sum()),
            too_short=int(table["too_short"].sum()),
        )
    if tables:
        ctx.tables["cell_facts"] = pd.concat(tables, ignore_index=True)
    ctx.analysis.statistical["cell_facts"] = {"per_model": summary, "protocols": sorted(set(protocols.values()))}


def _intro(analysis) -> list[str]:
    """The first screen's first line: what was compared."""
    facts = analysis.statistical["cell_facts"]
    runs = facts["per_model"]
    videos = sorted({r["videos"] for r in runs.values() if r["videos"] is not None})
    designs = list(dict.fromkeys(d for r in runs.values() for d in r["designs"]))
    cells = sorted({r["cells"] for r in runs.values()})
    seen = f"on {'/'.join(map(str, videos))} test videos" if videos else "from aggregate tables"
    line = (
        f"{len(runs)} model(s) {seen}, {'/'.join(map(str, cells))} cells in {len(designs)} design(s): "
        f"{'; '.join(designs)}."
    )
    if len(facts["protocols"]) > 1:
        line += " **The runs used different test protocols: their accuracies are not comparable cell by cell.**"
    return [line]


def _spacing_text(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def facts_markdown(table: pd.DataFrame, model: str) -> str:
    """The report's facts table of one model: a row per cell."""
    cells = table[table["model"] == model]
    lines = [
        "| cell | accuracy | clips | median spacing (frames / s) | median span (s) | mean distinct frames | "
        "clips padded | too short | same frames as |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in cells.itertuples(index=False):
        accuracy = "" if pd.isna(row.accuracy) else f"{row.accuracy:.3f}"
        lines.append(
            f"| `{row.variant}` | {accuracy} | {int(row.total)} | {_spacing_text(row.spacing_frames)} / "
            f"{_spacing_text(row.spacing_seconds)} | {_spacing_text(row.span_seconds)} | "
            f"{_spacing_text(row.distinct_frames)} | {row.padded_share:.0%} | {int(row.too_short)} | "
            f"{'`' + row.same_frames_as + '`' if row.same_frames_as else ''} |"
        )
    return "\n".join(lines)


def _section(analysis, figures) -> list[str]:
    facts = analysis.statistical["cell_facts"]
    inputs = pd.DataFrame(
        [
            {
                "model": m,
                "input": r["input"],
                "cells": r["cells"],
                "distinct cells": r.get("distinct_cells", ""),
                "videos": r["videos"] or "",
                "protocol": r["protocol"],
                "source": r["source"],
            }
            for m, r in facts["per_model"].items()
        ]
    )
    lines = ["## Inputs and what each cell showed", "", markdown_table(inputs), ""]
    if len(facts["protocols"]) > 1:
        lines += [
            "**Mixed test protocols.** These runs were not tested the same way (see `protocol`): a coverage "
            "of a 50-frame segment spans a different time than of a whole video, so every table that puts "
            "them side by side compares different things.",
            "",
        ]
    if any(r["input"] == "tables" for r in facts["per_model"].values()):
        lines += [
            "Inputs marked `tables` are aggregate/per-class tables (e.g. the 2025 study's): only the per-class "
            "and aggregate analyses apply, with the class as unit; the per-video tests are listed under *Not "
            "computed*. The 2025 sampler repeated frames and dropped the last ones when fewer than the model's "
            "frames remained, so its low-frame cells (large strides, low coverage) carry that flaw.",
            "",
        ]
    table = analysis.tables.get("cell_facts")
    for model, r in facts["per_model"].items():
        if table is None or not (table["model"] == model).any():
            continue
        about = f"{r['distinct_cells']} distinct of {r['cells']} cells; {r['padded_cells']} pad"
        if r["aliases"]:
            about += "; the same frames as an earlier cell (reported, counted once in tests): " + ", ".join(
                f"`{a}` = `{b}`" for a, b in r["aliases"].items()
            )
        if r["too_short"]:
            about += f"; {r['too_short']} clips left out as too short for their cell"
        lines += [
            f"### {model}",
            "",
            about + ".",
            "",
            "Spacing and span: medians over the cell's clips; distinct frames: their mean; padded: the share "
            "of clips with fewer distinct frames than the model takes (docs/sampling.md).",
            "",
            facts_markdown(table, model),
            "",
        ]
    return lines


CELL_FACTS = Entry(
    "cell_facts", "cell facts",
    "What each cell really showed (spacing, span, distinct frames, padding, too-short videos, aliases) and each "
    "run's test protocol.",
    _facts, tables=("cell_facts",), json=("statistical_results:cell_facts",), section=_section, intro=_intro,
    terms=("cell", "pad"),
)  # fmt: skip
