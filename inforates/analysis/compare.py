"""A comparison as one call: runs in, statistics, tables, figures and ``report.md`` out.

    from inforates.analysis.inputs import load_runs
    from inforates.analysis.compare import compare
    analysis = compare(load_runs(["outputs/demo/eval"]), "outputs/demo/compare")

Writes ``statistical_results.json``, ``multimodel_analysis.json``, one CSV per table (``pairwise_*.csv``,
``accuracy_by_variant.csv``, ``cell_facts.csv``, ...), ``figures/`` and ``report.md`` (docs/statistics.md). The
analyses themselves live in the registry (:mod:`inforates.analysis.registry`); this module runs it and writes what
it computed, the whole folder at once (:class:`~inforates.files.OwnedOutputs`).
"""

from __future__ import annotations

from pathlib import Path

from ..files import OwnedOutputs
from .entry import Analysis
from .inputs import ModelRun
from .outputs import make_figures, write_outputs
from .registry import analyse
from .report import write_report


FORMATS = ("png", "svg", "pdf")


def compare(
    runs: list[ModelRun],
    out: str | Path,
    protocol: str = "paired",
    formats=("png",),
    n_boot: int = 1000,
    seed: int = 0,
    margin: float = 0.02,
    nyquist_exclude: dict[str, str] | None = None,
    overwrite: bool = False,
    **owned,
) -> Analysis:
    """Analyse, write tables, draw figures and write ``report.md`` into ``out``; returns the analysis.

    ``out`` may hold an earlier comparison (its files are replaced, those not written again removed); files that
    inforates did not write make it an ``OutputError`` unless ``overwrite``, and are never replaced (``owned``:
    :class:`OwnedOutputs`' ``flag`` and ``others``)."""
    with OwnedOutputs(out, overwrite, **owned) as staging:
        analysis = analyse(runs, protocol, n_boot, seed, margin, nyquist_exclude)
        write_outputs(analysis, staging)
        figures = make_figures(analysis, runs, staging, formats)
        write_report(analysis, runs, figures, staging)
    return analysis
