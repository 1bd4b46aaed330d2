"""``report.md``: the comparison in words, tables and figures (written by ``inforates compare``).

    >>> from inforates.analysis.report import markdown_table
    >>> print(markdown_table(pd.DataFrame({"model": ["a"], "accuracy": [0.91234]})))
    | model | accuracy |
    | --- | --- |
    | a | 0.912 |
    >>> print(markdown_table(pd.DataFrame({"test": ["Q"], "p": [2.3e-6]}), p_columns=["p"]).splitlines()[-1])
    | Q | 2.3e-06 |

One plain sentence per finding (each registry entry's ``finding``, :func:`inforates.analysis.registry.findings`);
every number comes from the analysis written next to the report (``statistical_results.json``,
``multimodel_analysis.json``, the CSV tables).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .entries_confusion import confusion_markdown
from .entries_facts import facts_markdown, run_protocol
from .pvalues import p_cell
from .registry import findings, model_figures


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def markdown_table(df: pd.DataFrame, p_columns=()) -> str:
    """A GitHub-flavoured Markdown table; floats with three decimals, p-values (``p_columns``) as
    :func:`~inforates.analysis.pvalues.p_cell` writes them (``2.3e-06`` below 0.001, never ``0.000``)."""
    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "| " + " | ".join("---" for _ in df.columns) + " |"]
    is_p = [c in p_columns for c in df.columns]
    for row in df.itertuples(index=False):
        cells = (p_cell(v) if p and isinstance(v, float) else _cell(v) for v, p in zip(row, is_p))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _sampling_tables(statistical: dict) -> list[str]:
    """The matched-evidence headline and the attribution odds ratios of every model (paired protocol)."""
    matched, odds = [], []
    for model, results in statistical.get("paired", {}).get("per_model", {}).items():
        h = (results.get("matched_evidence") or {}).get("headline")
        if h:
            matched.append(
                {
                    "model": model,
                    "coverage %": f"{h['coverage']:g}",
                    "strides": f"{h['stride_small']} vs {h['stride_large']}",
                    "raw drop": h["raw_drop"],
                    "padded at large": h["raw_padded_share_large"],
                    "matched drop": h["drop"],
                    "95 % CI": f"{h['drop_low']:.3f} to {h['drop_high']:.3f}",
                    "videos": h["n_videos"],
                    "McNemar p": p_cell(h["mcnemar_p"], h["mcnemar_log10_p"]),
                }
            )
        for fit in (results.get("attribution") or {}).get("predictors", {}).values():
            odds.append(
                {
                    "model": model,
                    "predictor": fit["label"],
                    "odds ratio": fit["odds_ratio"],
                    "95 % CI": f"{fit['ci_low']:.2f}-{fit['ci_high']:.2f}",
                    "unit": fit["unit"],
                    "p": p_cell(fit["p_value"], fit["log10_p"]),
                }
            )
    lines = []
    if matched:
        lines += ["## Stride among unpadded clips (matched evidence)", "", markdown_table(pd.DataFrame(matched)), ""]
        lines += ["Drop: accuracy at the smaller stride minus at the larger (positive = loss); *raw* over all clips "
                  "of the two cells, *matched* on the videos no stride pads. Every coverage: `matched_evidence.csv`.",
                  ""]  # fmt: skip
    if odds:
        lines += ["## What correctness depends on (attribution)", "", markdown_table(pd.DataFrame(odds)), ""]
        lines += ["GEE logistic model of correctness on the three clip properties at once: `attribution.csv`.", ""]
    return lines


def _grid_table(results: pd.DataFrame, model: str) -> str:
    wide = results[results["model"] == model].pivot_table(
        index="coverage", columns="stride", values="accuracy", aggfunc="mean"
    )
    wide = wide.sort_index().sort_index(axis=1)
    table = wide.reset_index()
    table.columns = ["coverage %"] + [f"stride {s}" for s in wide.columns]
    table["coverage %"] = [f"{c:g}" for c in wide.index]
    return markdown_table(table)


def write_report(analysis, runs, figures: dict[str, Path], out: str | Path) -> Path:
    """Write ``out/report.md`` (figures embedded by relative path)."""
    out = Path(out)
    ex = analysis.extras
    lines = ["# inforates comparison report", ""]
    inputs = pd.DataFrame(
        [
            {
                "model": r.name,
                "input": r.kind,
                "variants": len(r.results),
                "videos": r.predictions["video_id"].nunique() if r.predictions is not None else "",
                "protocol": run_protocol(r),
                "source": str(r.source),
            }
            for r in runs
        ]  # fmt: skip
    )
    lines += ["## Inputs", "", markdown_table(inputs), ""]
    if inputs["protocol"].nunique() > 1:
        lines += ["**Mixed test protocols.** These runs were not tested the same way (see `protocol`): a coverage "
                  "of a 50-frame segment spans a different time than of a whole video, so every table below that "
                  "puts them side by side compares different things.", ""]  # fmt: skip
    if any(r.predictions is None for r in runs):
        lines += ["Inputs marked `tables` are aggregate/per-class tables (e.g. the 2025 study's): only the "
                  "per-class and aggregate analyses apply; the per-video tests are listed under *Not computed*. "
                  "The 2025 sampler repeated frames and dropped the last ones when fewer than the model's frames "
                  "remained, so its low-frame cells (large strides, low coverage) carry that flaw.", ""]  # fmt: skip
    lines += ["## Findings", ""] + [f"- {s}" for s in findings(analysis)] + [""]
    columns = ["rank", "model", "auc", "auc_low", "auc_high", "relative_auc", "p_rank1"]
    seconds = ex["ranking"]["auc_seconds"].notna().any()
    ranking = ex["ranking"][columns + (["auc_seconds", "auc_seconds_low", "auc_seconds_high"] if seconds else [])]
    lines += ["## Robustness ranking", "", markdown_table(ranking), ""]
    how = "paired cluster bootstrap" if ranking["auc_low"].notna().any() else "need per-video predictions"
    lines += ["`auc`: area under accuracy (mean over strides) vs coverage divided by the coverage range; "
              f"`relative_auc`: over the best cell. CIs: {how}."
              + (" `auc_seconds`: the same curve against the median clip span in seconds at each coverage, divided "
                 "by that span's range." if seconds else ""), ""]  # fmt: skip
    lines += _sampling_tables(analysis.statistical)
    if ex.get("drops") is not None:
        wide = ex["drops"].pivot_table(index="model", columns="stride", values="drop", aggfunc="first", sort=False)
        wide.columns = [f"stride {c}" if c != "mean" else "mean" for c in wide.columns]
        lines += [
            "## Aliasing drop (accuracy at 100 % minus 25 % coverage)",
            "",
            markdown_table(wide.reset_index()),
            "",
        ]
    lines += ["## Accuracy by coverage and stride", ""]
    facts = analysis.tables.get("cell_facts")
    for run in runs:
        lines += [f"### {run.name}", "", _grid_table(ex["results"], run.name), ""]
        if facts is not None and (facts["model"] == run.name).any():
            lines += ["What each cell showed (medians over videos; docs/sampling.md): ", "",
                      facts_markdown(facts, run.name), ""]  # fmt: skip
        for name in model_figures():
            key = f"{run.name}/{name}"
            if key in figures:
                lines += [f"![{run.name} {name}]({figures[key].relative_to(out).as_posix()})", ""]
        lines += confusion_markdown(analysis, run.name)
    comparison = [k for k in figures if "/" not in k]
    if comparison:
        lines += ["## Comparison figures", ""]
        lines += [f"![{k}]({figures[k].relative_to(out).as_posix()})\n" for k in comparison]
    if "paper" in analysis.statistical:
        rows = []
        for model, p in analysis.statistical["paper"].items():
            a, s, al = p.get("anova_coverage", {}), p.get("anova_stride", {}), p.get("aliasing_sensitivity", {})
            rows.append({"model": model, "F coverage (s8)": a.get("f_statistic", math.nan),
                         "p (coverage)": p_cell(a.get("p_value"), a.get("log10_p")),
                         "eta2": a.get("eta_squared", math.nan), "F stride (100 %)": s.get("f_statistic", math.nan),
                         "p (stride)": p_cell(s.get("p_value"), s.get("log10_p")),
                         "mean drop": al.get("mean_drop", math.nan),
                         "d aliasing": p["effect_sizes"].get("aliasing_cohens_d", math.nan),
                         "d stride": p["effect_sizes"].get("stride_cohens_d", math.nan)})  # fmt: skip
        lines += ["## Paper protocol (2025 study, for parity)", "", markdown_table(pd.DataFrame(rows)), ""]
        lines += ["These tests treat the same classes under different sampling as independent groups; they are kept "
                  "only to reproduce the 2025 tables. Pairwise Welch tests: `pairwise_coverage_welch.csv`.", ""]  # fmt: skip
    if analysis.skipped:
        lines += ["## Not computed", ""] + [f"- {s['analysis']}: {s['reason']}" for s in analysis.skipped] + [""]
    lines += ["Methods and file formats: docs/statistics.md in the inforates repository.", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
