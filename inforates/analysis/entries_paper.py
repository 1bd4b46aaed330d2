"""Registry entries of the 2025 study's protocol, kept for parity with its tables: its ANOVAs, Levene, Cohen's d and
Welch tests on per-class accuracies (``paper``), and its summary of per-class accuracy by coverage. They treat the
same classes under different sampling as independent groups: the report gives their figures and claims nothing
from them.
"""

from __future__ import annotations

import math

import pandas as pd

from .entry import Entry
from .markdown import markdown_table, p_of_cell
from .needs import PER_CLASS
from .paper import paper_protocol, summary_by_coverage


def _paper(ctx) -> None:
    paper, welch = {}, []
    for model, pc in ctx.inputs.per_class.groupby("model", sort=False):
        paper[model] = paper_protocol(pc)
        pw = pd.DataFrame(paper[model]["pairwise_coverage"])
        if not pw.empty:
            welch.append(pw.assign(model=model)[["model", *pw.columns]])
    if welch:
        ctx.tables["pairwise_coverage_welch"] = pd.concat(welch, ignore_index=True)
    ctx.analysis.statistical["paper"] = paper


def _paper_section(analysis, figures) -> list[str]:
    anovas, contrasts = [], []
    for model, p in analysis.statistical["paper"].items():
        cov, stride = p.get("anova_coverage", {}), p.get("anova_stride", {})
        levene, sens, d = p.get("variance_homogeneity", {}), p.get("aliasing_sensitivity", {}), p["effect_sizes"]
        anovas.append(
            {
                "model": model,
                "F (coverages)": cov.get("f_statistic", math.nan),
                "p (coverages)": p_of_cell(cov),
                "eta2 (coverages)": cov.get("eta_squared", math.nan),
                "F (strides)": stride.get("f_statistic", math.nan),
                "p (strides)": p_of_cell(stride),
                "eta2 (strides)": stride.get("eta_squared", math.nan),
                "Levene p (coverages)": p_of_cell(levene),
            }
        )
        contrasts.append(
            {
                "model": model,
                "mean drop, 100 % -> 25 % (over strides)": sens.get("mean_drop", math.nan),
                "Cohen's d, 100 % vs 10 % at stride 8": d.get("aliasing_cohens_d", math.nan),
                "Cohen's d, stride 1 vs 16 at 100 %": d.get("stride_cohens_d", math.nan),
            }
        )
    return [
        "## Paper protocol (2025 study, for parity)",
        "",
        "One-way ANOVAs across coverages (at stride 8) and across strides (at 100 % coverage), on per-class "
        "accuracies as independent groups:",
        "",
        markdown_table(pd.DataFrame(anovas)),
        "",
        "Three contrasts the study reported, each of other cells: the mean drop compares 100 % with 25 % "
        "coverage averaged over every stride; the first d compares 100 % with 10 % coverage at stride 8 only, "
        "in units of the classes' spread; the second d stride 1 with 16 at 100 %. They can differ in sign "
        "(a model better at 25 % than at 100 % over the strides may still be worse at 10 % than at 100 % at "
        "stride 8).",
        "",
        markdown_table(pd.DataFrame(contrasts)),
        "",
        "These tests treat the same classes under different sampling as independent groups; they are kept only "
        "to reproduce the 2025 tables and no claim of this report rests on them. Pairwise Welch tests: "
        "`pairwise_coverage_welch.csv`; the study's summary by coverage: `summary_statistics_by_coverage.csv`.",
        "",
        *(line for m in analysis.models for line in figures.lines(f"{m}/per_class_distribution_by_coverage")),
    ]


PAPER = Entry(
    "paper", "paper protocol",
    "The 2025 study's ANOVA, Levene, Welch and Cohen's d statistics on per-class accuracy, for parity.", _paper,
    needs=(PER_CLASS,), protocol="paper", tables=("pairwise_coverage_welch",),
    json=("statistical_results:paper.<model>",), section=_paper_section, terms=("paper protocol", "Cohen's d"),
)  # fmt: skip


def _summary(ctx) -> None:
    ctx.tables["summary_statistics_by_coverage"] = summary_by_coverage(ctx.inputs.per_class)


def _draw_summary(analysis, runs, save) -> None:
    from . import plots

    for run in runs:
        if run.per_class is not None:
            figure = plots.per_class_distribution_by_coverage(run.per_class, run.name)
            save(f"{run.name}/per_class_distribution_by_coverage", figure)


SUMMARY = Entry(
    "summary_by_coverage", "summary statistics by coverage",
    "The spread of per-class accuracy at each coverage and stride (the 2025 study's summary table).", _summary,
    only_if=(PER_CLASS,), tables=("summary_statistics_by_coverage",),
    figures=("{model}/per_class_distribution_by_coverage",), draw=_draw_summary,
)  # fmt: skip
