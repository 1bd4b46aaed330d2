"""``report.md``: the comparison in words, tables and figures (written by ``inforates compare``).

    >>> from inforates.report import markdown_table, format_p
    >>> print(markdown_table(pd.DataFrame({"model": ["a"], "accuracy": [0.91234]})))
    | model | accuracy |
    | --- | --- |
    | a | 0.912 |
    >>> format_p(0.0004), format_p(0.0312)
    ('p < 0.001', 'p = 0.031')

One plain sentence per finding; every number comes from the analysis written next to the report
(``statistical_results.json``, ``multimodel_analysis.json``, the CSV tables).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd


def format_p(p: float) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _cell(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table; floats with three decimals."""
    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "| " + " | ".join("---" for _ in df.columns) + " |"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


def _ci(row: dict) -> str:
    low, high = row.get("boot_low"), row.get("boot_high")
    kind = "bootstrap"
    if low is None or (isinstance(low, float) and math.isnan(low)):
        low, high, kind = row.get("ci_low"), row.get("ci_high"), "Wilson"
    return f"95 % {kind} CI {low:.3f}-{high:.3f}"


def _grid_table(results: pd.DataFrame, model: str) -> str:
    wide = results[results["model"] == model].pivot_table(
        index="coverage", columns="stride", values="accuracy", aggfunc="mean"
    )
    wide = wide.sort_index().sort_index(axis=1)
    table = wide.reset_index()
    table.columns = ["coverage %"] + [f"stride {s}" for s in wide.columns]
    table["coverage %"] = [f"{c:g}" for c in wide.index]
    return markdown_table(table)


def findings(analysis, runs) -> list[str]:
    """One plain sentence per finding, in reading order."""
    ex, mm, st = analysis.extras, analysis.multimodel, analysis.statistical
    out = []
    for row in ex["best"].to_dict(orient="records"):
        out.append(
            f"{row['model']} reaches its best accuracy, {row['accuracy']:.3f} ({_ci(row)}), at {row['variant']}."
        )
    ranking = ex["ranking"]
    if len(ranking) >= 2:
        parts = []
        for row in ranking.to_dict(orient="records"):
            ci = "" if math.isnan(row["auc_low"]) else f", 95 % CI {row['auc_low']:.3f}-{row['auc_high']:.3f}"
            parts.append(f"{row['model']} ({row['auc']:.3f}{ci})")
        lead = ranking.iloc[0]
        share = (
            "" if math.isnan(lead["p_rank1"]) else f"; {lead['model']} ranks first in {lead['p_rank1']:.0%} of draws"
        )
        out.append(f"Ranked by normalised area under accuracy vs coverage: {', '.join(parts)}{share}.")
    drops = ex.get("drops")
    if drops is not None:
        for model, d in drops[drops["stride"] == "mean"].set_index("model")["drop"].items():
            verb = "loses" if d >= 0 else "gains"
            out.append(
                f"{model} {verb} {abs(d):.3f} accuracy when coverage falls from 100 % to 25 % (mean over strides)."
            )
    for model, row in mm["critical_coverage"].items():
        out.append(f"{model} needs {row['critical_coverage']:g} % coverage to stay within "
                   f"{row['margin']:.2f} of its best accuracy.")  # fmt: skip
    paired = st.get("paired", {})
    for model, section in paired.get("per_model", {}).items():
        if "cochran_q" in section:
            q = section["cochran_q"]
            verdict = "change" if q["p_value"] < 0.05 else "do not detectably change"
            out.append(f"The sampling variants {verdict} {model}'s accuracy on the same {q['n']} videos "
                       f"(Cochran's Q = {q['statistic']:.1f}, df {q['df']}, {format_p(q['p_value'])}).")  # fmt: skip
        if "pairwise_mcnemar" in section:
            pw = section["pairwise_mcnemar"]
            out.append(f"{pw['significant_holm']} of {pw['tests']} pairs of {model}'s variants differ "
                       "(McNemar, Holm-corrected 0.05).")  # fmt: skip
        if "friedman_coverage" in section:
            fr = section["friedman_coverage"]
            verdict = "changes" if fr["p_value"] < 0.05 else "does not detectably change"
            out.append(f"Coverage {verdict} {model}'s per-class accuracy (Friedman chi2 = {fr['statistic']:.1f}, "
                       f"{format_p(fr['p_value'])}, Kendall's W = {fr['kendalls_w']:.2f} over "
                       f"{fr['n_blocks']} classes).")  # fmt: skip
    across = paired.get("across_models", {})
    if "model_mcnemar" in across:
        m = across["model_mcnemar"]
        out.append(f"{m['significant_holm']} of {m['tests']} model-vs-model comparisons on the same videos (per "
                   "variant) differ (McNemar, Holm-corrected 0.05).")  # fmt: skip
    if "logistic_interaction" in across:
        for key, what in (("model_x_coverage", "coverage"), ("model_x_stride", "stride")):
            t = across["logistic_interaction"]["interaction_tests"][key]
            verdict = "differs" if t["p_value"] < 0.05 else "does not detectably differ"
            out.append(f"The effect of {what} on correctness {verdict} between models (GEE logistic model, "
                       f"Wald chi2 = {t['chi2']:.1f}, df {t['df']}, {format_p(t['p_value'])}).")  # fmt: skip
    if "friedman_models" in across:
        fr = across["friedman_models"]
        best = min(fr["mean_ranks"], key=fr["mean_ranks"].get)
        out.append(f"Across classes, {best} has the best mean rank ({fr['mean_ranks'][best]:.2f}; Friedman "
                   f"{format_p(fr['p_value'])}).")  # fmt: skip
    for model, tiers in mm.get("sensitivity_tiers", {}).items():
        out.append(f"{model}: {tiers.get('sensitive', 0)} sensitive, {tiers.get('moderate', 0)} moderate and "
                   f"{tiers.get('robust', 0)} robust classes.")  # fmt: skip
    if "nyquist_check" in paired:
        nc = paired["nyquist_check"]
        pooled = ", ".join(nc.get("models", [])) or "no model"
        out.append(f"Nyquist check {nc['verdict']}: direction accuracy is {nc['below_nyquist_accuracy']:.3f} on "
                   f"{nc['below_nyquist_n']} clips below the Nyquist limit and {nc['above_nyquist_accuracy']:.3f} on "
                   f"{nc['above_nyquist_n']} clips past it, pooled over {pooled}.")  # fmt: skip
        for model, reason in nc.get("excluded", {}).items():
            out.append(f"{model} is left out of the Nyquist check: {reason}.")
    for model, p in st.get("paper", {}).items():
        a = p.get("anova_coverage", {})
        if "f_statistic" in a:
            out.append(f"Paper protocol, {model}: one-way ANOVA across coverages at stride 8 gives "
                       f"F = {a['f_statistic']:.2f}, {format_p(a['p_value'])}, eta2 = {a['eta_squared']:.3f}.")  # fmt: skip
    return out


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
                "source": str(r.source),
            }
            for r in runs
        ]  # fmt: skip
    )
    lines += ["## Inputs", "", markdown_table(inputs), ""]
    if any(r.predictions is None for r in runs):
        lines += ["Inputs marked `tables` are aggregate/per-class tables (e.g. the 2025 study's): only the "
                  "per-class and aggregate analyses apply; the per-video tests are listed under *Not computed*. "
                  "The 2025 sampler repeated frames and dropped the last ones when fewer than the model's frames "
                  "remained, so its low-frame cells (large strides, low coverage) carry that flaw.", ""]  # fmt: skip
    lines += ["## Findings", ""] + [f"- {s}" for s in findings(analysis, runs)] + [""]
    ranking = ex["ranking"][["rank", "model", "auc", "auc_low", "auc_high", "relative_auc", "p_rank1"]]
    lines += ["## Robustness ranking", "", markdown_table(ranking), ""]
    how = "paired cluster bootstrap" if ranking["auc_low"].notna().any() else "need per-video predictions"
    lines += ["`auc`: area under accuracy (mean over strides) vs coverage divided by the coverage range; "
              f"`relative_auc`: over the best cell. CIs: {how}.", ""]  # fmt: skip
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
    for run in runs:
        lines += [f"### {run.name}", "", _grid_table(ex["results"], run.name), ""]
        for name in ("accuracy_heatmap", "accuracy_vs_coverage", "per_class_distribution_by_coverage",
                     "per_class_representative", "aliasing_drop_hist"):  # fmt: skip
            key = f"{run.name}/{name}"
            if key in figures:
                lines += [f"![{run.name} {name}]({figures[key].relative_to(out).as_posix()})", ""]
    comparison = [k for k in figures if "/" not in k]
    if comparison:
        lines += ["## Comparison figures", ""]
        lines += [f"![{k}]({figures[k].relative_to(out).as_posix()})\n" for k in comparison]
    if "paper" in analysis.statistical:
        rows = []
        for model, p in analysis.statistical["paper"].items():
            a, s, al = p.get("anova_coverage", {}), p.get("anova_stride", {}), p.get("aliasing_sensitivity", {})
            rows.append({"model": model, "F coverage (s8)": a.get("f_statistic", math.nan),
                         "p": a.get("p_value", math.nan), "eta2": a.get("eta_squared", math.nan),
                         "F stride (100 %)": s.get("f_statistic", math.nan), "p ": s.get("p_value", math.nan),
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
