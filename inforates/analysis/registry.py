"""The analysis registry: every analysis ``inforates compare`` runs, in the order it runs them, and the order the
report reads them in.

    >>> [entry.name for entry in ENTRIES][:3]
    ['cell_facts', 'accuracy_by_variant', 'densest']

:func:`analyse` only iterates over :data:`ENTRIES`. Entries run protocol block by protocol block (consecutive
entries of one ``protocol``); in each block, the entries the *kind* of inputs rules out (an unmet ``input`` need:
no per-video predictions, no per-class tables) are listed as skipped first, then the others run in order, each
checking its data needs (how many models, which coverages) at its turn, and each correcting its family of tests
once every model's part is in. Adding an analysis: write its :class:`~inforates.analysis.entry.Entry`
(entries_*.py), add it here (and to :data:`REPORT_ORDER`), and test it.
"""

from __future__ import annotations

import pandas as pd

from .entries_accuracy import ACCURACY, BEST, DENSEST
from .entries_bandwidth import ANTIALIAS, PREDICTED_LIMIT
from .entries_confusion import CONFUSION
from .entries_facts import CELL_FACTS
from .entries_paired import (
    COCHRAN_Q,
    FRIEDMAN_COVERAGE,
    FRIEDMAN_MODELS,
    LOGISTIC,
    MODEL_MCNEMAR,
    NYQUIST,
    PAIRWISE_MCNEMAR,
)
from .entries_paper import PAPER, SUMMARY
from .entries_robustness import CLASS_CHANGES, COVERAGE_DROP, CRITICAL_COVERAGE, RANKING
from .entries_sampling import ATTRIBUTION, MATCHED_EVIDENCE, RM_ANOVA
from .entries_treatments import MOTION_GUIDED, RESOLUTION
from .entry import PROTOCOLS, Analysis, Context, Entry
from .inputs import Inputs, ModelRun


ENTRIES: tuple[Entry, ...] = (
    CELL_FACTS,
    ACCURACY,
    DENSEST,
    BEST,
    COCHRAN_Q,
    PAIRWISE_MCNEMAR,
    FRIEDMAN_COVERAGE,
    RM_ANOVA,
    MATCHED_EVIDENCE,
    ATTRIBUTION,
    MODEL_MCNEMAR,
    LOGISTIC,
    FRIEDMAN_MODELS,
    NYQUIST,
    PREDICTED_LIMIT,
    ANTIALIAS,
    RESOLUTION,
    MOTION_GUIDED,
    PAPER,
    SUMMARY,
    RANKING,
    COVERAGE_DROP,
    CRITICAL_COVERAGE,
    CLASS_CHANGES,
    CONFUSION,
)
# The order the report reads the sections in (the main result first); entries left out follow, in ENTRIES order.
REPORT_ORDER = (
    "densest",
    "nyquist_check",
    "predicted_limit",
    "antialias",
    "resolution",
    "motion_guided",
    "accuracy_by_variant",
    "ranking",
    "rm_anova",
    "matched_evidence",
    "attribution",
    "coverage_drop",
    "logistic_interaction",
    "best",
    "critical_coverage",
    "cochran_q",
    "pairwise_mcnemar",
    "model_mcnemar",
    "friedman_coverage",
    "friedman_models",
    "class_changes",
    "confusion",
    "cell_facts",
    "paper",
)


def _blocks(entries: tuple[Entry, ...]) -> list[list[Entry]]:
    blocks: list[list[Entry]] = []
    for entry in entries:
        if blocks and blocks[-1][0].protocol == entry.protocol:
            blocks[-1].append(entry)
        else:
            blocks.append([entry])
    return blocks


def _skip(ctx: Context, entry: Entry, need, run: ModelRun | None = None) -> None:
    # A per-model title skipped for every model at once drops its " ({model})".
    title = need.skip_as or (
        entry.title.format(model=run.name)
        if run is not None
        else entry.title.replace(" ({model})", "").format(model="")
    )
    if need.skip_as and {"analysis": title, "reason": need.reason} in ctx.analysis.skipped:
        return  # a skip_as line is listed once for all the entries that share it
    ctx.skip(title, need.reason)


def _applies(ctx: Context, entry: Entry) -> bool:
    return all(ctx.met(n) for n in entry.only_if if not n.per_model)


def _run(ctx: Context, entry: Entry, ruled_out: set[str]) -> None:
    if not _applies(ctx, entry):
        if entry.absent is not None:
            entry.absent(ctx)
        return
    if entry.name in ruled_out:
        return
    unmet = [n for n in entry.needs if not n.per_model and not ctx.met(n)]
    if unmet:
        _skip(ctx, entry, unmet[0])
        return
    for title, need in entry.partial:
        if need.kind != "input" and not ctx.met(need):
            ctx.skip(title, need.reason)
    if not entry.per_model:
        entry.compute(ctx)
    else:
        rows = []
        for run in ctx.inputs.runs:
            if not all(ctx.met(n, run) for n in entry.only_if if n.per_model):
                continue
            unmet = [n for n in entry.needs if n.per_model and not ctx.met(n, run)]
            if unmet:
                _skip(ctx, entry, unmet[0], run)
                continue
            table = entry.compute(ctx, run)
            if table is not None:
                rows.append(table)
        if not rows and not any(all(ctx.met(n, r) for n in entry.only_if if n.per_model) for r in ctx.inputs.runs):
            return  # applies to no model
        if rows and entry.tables:
            ctx.tables[entry.tables[0]] = pd.concat(rows, ignore_index=True)
    if entry.correct is not None:
        entry.correct(ctx)
    ctx.analysis.done.append(entry.name)


def _rule_out(ctx: Context, block: list[Entry]) -> set[str]:
    """List the skips the kind of inputs implies, for the whole block; returns the entries ruled out."""
    ruled_out = set()
    for entry in block:
        if not _applies(ctx, entry):
            continue
        unmet = [n for n in entry.needs if n.kind == "input" and not n.per_model and not ctx.met(n)]
        if unmet:
            _skip(ctx, entry, unmet[0])
            ruled_out.add(entry.name)
            continue
        for title, need in entry.partial:
            if need.kind == "input" and not ctx.met(need):
                ctx.skip(title, need.reason)
    return ruled_out


def analyse(
    runs: list[ModelRun],
    protocol: str = "paired",
    n_boot: int = 1000,
    seed: int = 0,
    margin: float = 0.02,
    nyquist_exclude: dict[str, str] | None = None,
    entries: tuple[Entry, ...] = ENTRIES,
) -> Analysis:
    """Run the analyses the inputs allow. ``protocol``: ``paired`` (default), ``paper`` (the 2025 study's) or
    ``both``; the robustness summaries are computed in every case. ``nyquist_exclude`` maps models left out of the
    synthetic benchmark's pooled Nyquist check to the reason."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    inputs = Inputs.stack(runs)
    inputs_json = {r.name: {"source": str(r.source), "kind": r.kind} for r in runs}
    an = Analysis({"models": inputs.models, "inputs": inputs_json}, {"models": inputs.models})
    an.extras.update(results=inputs.results, per_class=inputs.per_class, predictions=inputs.predictions)
    if protocol in ("paired", "both"):
        an.statistical["paired"] = {"per_model": {m: {} for m in inputs.models}, "across_models": {}}
    ctx = Context(inputs, an, n_boot, seed, margin, nyquist_exclude)
    for block in _blocks(entries):
        if not block[0].applies(protocol):
            continue
        ruled_out = _rule_out(ctx, block)
        for entry in block:
            _run(ctx, entry, ruled_out)
    an.statistical["skipped"] = an.skipped
    an.statistical["families"] = an.families
    return an


def report_entries(analysis: Analysis, entries: tuple[Entry, ...] = ENTRIES) -> list[Entry]:
    """The computed entries in the order the report reads them (:data:`REPORT_ORDER`, then the rest)."""
    by_name = {e.name: e for e in entries}
    ordered = [by_name[n] for n in REPORT_ORDER if n in by_name]
    ordered += [e for e in entries if e.name not in REPORT_ORDER]
    return [e for e in ordered if e.name in analysis.done]


def model_figures(entries: tuple[Entry, ...] = ENTRIES) -> list[str]:
    """Per-model figure names (``accuracy_heatmap``...), in the order of the entries."""
    return [f.split("/", 1)[1] for e in entries for f in e.figures if f.startswith("{model}/")]
