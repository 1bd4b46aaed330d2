"""``report.md``: the comparison in words, tables and figures, assembled from the analysis registry alone.

The first screen comes first: what was compared, per model its accuracy at the densest cell and its robustness
with their CIs, and the few conclusions the tests support (each entry's ``headline`` and ``model_headline``, every
one resting on a test corrected within its family). Then one section per computed entry, in the registry's report
order (:data:`~inforates.analysis.registry.REPORT_ORDER`), each with its table and what it may be used to claim;
then the families of tests and their corrections, a glossary of every statistic and term the sections use, and
what was not computed. Every number comes from the files written beside the report (``statistical_results.json``,
``multimodel_analysis.json``, the CSV tables).

    >>> figures = Figures({"vivit/accuracy_heatmap": Path("out/figures/vivit/accuracy_heatmap.png")}, Path("out"))
    >>> figures.lines("vivit/accuracy_heatmap", "absent")
    ['![vivit/accuracy_heatmap](figures/vivit/accuracy_heatmap.png)', '']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..files import atomic_write
from .glossary import GLOSSARY
from .markdown import markdown_table
from .registry import report_entries


SUMMARY_LINES = 40  # the first screen's budget


@dataclass
class Figures:
    """The figures drawn for this report (name -> path under ``out``), as Markdown image lines."""

    paths: dict[str, Path]
    out: Path

    def lines(self, *names: str) -> list[str]:
        """An image line (and a blank) for each of ``names`` that was drawn, in that order."""
        out = []
        for name in names:
            if name in self.paths:
                out += [f"![{name}]({self.paths[name].relative_to(self.out).as_posix()})", ""]
        return out


def summary(analysis, entries) -> list[str]:
    """The first screen: what was compared, the per-model table and the conclusions the tests support."""
    lines = ["## Summary", ""]
    for entry in entries:
        if entry.intro is not None:
            lines += entry.intro(analysis)
    families = analysis.families
    if families:
        tests = sum(f["tests"] for f in families.values())
        lines += [
            "",
            f"Every conclusion below rests on the test named, Holm-corrected within its family: {tests} "
            f"tests in {len(families)} families (*Tests and corrections*).",
        ]
    columns: dict[str, dict[str, str]] = {}
    for entry in entries:
        if entry.summary_columns is not None:
            columns.update(entry.summary_columns(analysis))
    if columns:
        table = pd.DataFrame({"model": analysis.models})
        for name, values in columns.items():
            table[name] = [values.get(m, "") for m in analysis.models]
        lines += ["", markdown_table(table)]
    bullets = [line for entry in entries if entry.headline is not None for line in entry.headline(analysis)]
    tested = [e for e in entries if e.model_headline is not None]
    for model in analysis.models:
        fragments = [f for entry in tested for f in entry.model_headline(analysis, model)]
        if fragments:
            bullets.append(f"**{model}**: " + "; ".join(fragments) + ".")
        elif tested and analysis.per_model(model):
            bullets.append(f"**{model}**: none of the per-model tests finds an effect of sampling after correction.")
    if bullets:
        lines += ["", "What the tests support:", ""] + [f"- {b}" for b in bullets]
    return lines + [""]


def tests_section(analysis) -> list[str]:
    """Every family of tests: what it tests, how many tests, the correction, how many stay significant."""
    if not analysis.families:
        return []
    rows = [
        {
            "family": name,
            "what": f["what"],
            "tests": f["tests"],
            "correction": f["correction"],
            "significant (corrected p < 0.05)": f["significant"],
        }
        for name, f in analysis.families.items()
    ]
    total = sum(f["tests"] for f in analysis.families.values())
    return [
        "## Tests and corrections",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        f"{total} tests in all. Within a family, Holm's correction; across families none, so a claim is as "
        "strong as its family's correction, and descriptive sections (marked so) claim nothing.",
        "",
    ]


def glossary(entries) -> list[str]:
    terms = list(dict.fromkeys(t for entry in entries for t in entry.terms))
    terms = [t for t in GLOSSARY if t in terms]
    if not terms:
        return []
    return ["## Glossary", "", *(f"- {GLOSSARY[t]}" for t in terms), ""]


def write_report(analysis, runs, figures: dict[str, Path], out: str | Path) -> Path:
    """Write ``out/report.md`` (figures embedded by relative path)."""
    out = Path(out)
    entries = report_entries(analysis)
    drawn = Figures(figures, out)
    lines = ["# inforates comparison report", "", *summary(analysis, entries)]
    for entry in entries:
        if entry.section is not None:
            lines += entry.section(analysis, drawn)
    lines += tests_section(analysis) + glossary(entries)
    if analysis.skipped:
        lines += ["## Not computed", ""] + [f"- {s['analysis']}: {s['reason']}" for s in analysis.skipped] + [""]
    lines += ["Methods and file formats: docs/statistics.md in the inforates repository.", ""]
    path = out / "report.md"
    atomic_write(path, lambda tmp: Path(tmp).write_text("\n".join(lines)))
    return path
