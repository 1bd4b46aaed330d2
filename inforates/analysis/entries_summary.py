"""Registry entries computed under every protocol (accuracy with CIs, the robustness summaries, the per-class
summary) and the 2025 study's protocol.
"""

from __future__ import annotations

import math

import pandas as pd

from ..schema import primary_grid
from .accuracy import accuracy_by_variant, best_variants
from .entry import Entry, ci_text
from .needs import COVERAGES_25_100, EVERY_MODEL_PREDICTIONS, PER_CLASS, PER_CLASS_25_100, PREDICTIONS
from .paper import paper_protocol, summary_by_coverage
from .pvalues import p_of
from .robustness import (
    TIER_THRESHOLDS,
    aliasing_drop,
    auc_ranking,
    class_sensitivity,
    critical_coverage,
    span_by_coverage,
)


# ---------------------------------------------------------------------------------------------------------------
# Accuracy
# ---------------------------------------------------------------------------------------------------------------
def _accuracy(ctx) -> None:
    accuracy = [r.results for r in ctx.inputs.runs if r.predictions is None]
    if ctx.met(PREDICTIONS):
        accuracy.insert(0, accuracy_by_variant(ctx.inputs.predictions, n_boot=ctx.n_boot, seed=ctx.seed))
    ctx.tables["accuracy_by_variant"] = pd.concat(accuracy, ignore_index=True)


def _draw_accuracy(analysis, runs, save) -> None:
    from . import plots

    results, accuracy = analysis.extras["results"], primary_grid(analysis.tables["accuracy_by_variant"])
    for run in runs:
        save(f"{run.name}/accuracy_heatmap", plots.accuracy_heatmap(results, run.name))
        save(f"{run.name}/accuracy_vs_coverage", plots.accuracy_vs_coverage(accuracy, run.name))
    if len(runs) >= 2:
        save("comparison_accuracy_vs_coverage", plots.comparison_accuracy_vs_coverage(accuracy))
        save("comparison_heatmaps", plots.comparison_heatmaps(results))
        save("comparison_best_accuracy", plots.comparison_best_accuracy(analysis.extras["best"]))


ACCURACY = Entry(
    "accuracy_by_variant", "accuracy by variant",
    "Accuracy of every model and variant with its Wilson and (from per-video predictions) cluster-bootstrap CIs.",
    _accuracy, partial=(("cluster-bootstrap CIs", PREDICTIONS),), tables=("accuracy_by_variant",),
    figures=("{model}/accuracy_heatmap", "{model}/accuracy_vs_coverage", "comparison_accuracy_vs_coverage",
             "comparison_heatmaps", "comparison_best_accuracy"),
    draw=_draw_accuracy,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The 2025 study's protocol and summaries
# ---------------------------------------------------------------------------------------------------------------
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


def _paper_finding(analysis) -> list[str]:
    out = []
    for model, p in analysis.statistical["paper"].items():
        a = p.get("anova_coverage", {})
        if "f_statistic" in a:
            out.append(f"Paper protocol, {model}: one-way ANOVA across coverages at stride 8 gives "
                       f"F = {a['f_statistic']:.2f}, {p_of(a)}, eta2 = {a['eta_squared']:.3f}.")  # fmt: skip
    return out


PAPER = Entry(
    "paper", "paper protocol",
    "The 2025 study's ANOVA, Levene, Welch and Cohen's d statistics on per-class accuracy, for parity.",
    _paper, needs=(PER_CLASS,), protocol="paper", tables=("pairwise_coverage_welch",),
    json=("statistical_results:paper.<model>",), finding=_paper_finding,
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
    "The spread of per-class accuracy at each coverage and stride (the 2025 study's summary table).",
    _summary, only_if=(PER_CLASS,), tables=("summary_statistics_by_coverage",),
    figures=("{model}/per_class_distribution_by_coverage",), draw=_draw_summary,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Robustness summaries (every protocol)
# ---------------------------------------------------------------------------------------------------------------
def _ranking(ctx) -> None:
    complete = ctx.met(EVERY_MODEL_PREDICTIONS)  # ranking CIs need every model's videos
    grid = primary_grid(ctx.inputs.predictions) if complete else None
    # The span axis: every cell's median clip span (results, aliased cells included) of the models with predictions.
    predicted = [r.name for r in ctx.inputs.runs if r.predictions is not None]
    results = ctx.inputs.results
    spans = span_by_coverage(results[results["model"].isin(predicted)]) if predicted else None
    ranking = auc_ranking(ctx.inputs.results, grid, n_boot=ctx.n_boot, seed=ctx.seed, spans=spans)
    ctx.multimodel["ranking"] = ranking.to_dict(orient="records")
    ctx.multimodel["ranking_definition"] = (
        "normalised AUC: area under accuracy (mean over strides) vs coverage / coverage range; relative_auc = auc / "
        "best cell; p_rank1: share of bootstrap draws ranked first; auc_seconds: the same curve against the median "
        "clip span in seconds at each coverage / that span's range"
    )
    if spans is not None:
        ctx.multimodel["span_seconds_by_coverage"] = {
            m: dict(zip((f"{c:g}" for c in d["coverage"]), d["span_seconds"])) for m, d in spans.groupby("model")
        }
    ctx.extras["ranking"] = ranking


def _ranking_finding(analysis) -> list[str]:
    ranking = analysis.extras["ranking"]
    if len(ranking) < 2:
        return []
    parts = []
    for row in ranking.to_dict(orient="records"):
        ci = "" if math.isnan(row["auc_low"]) else f", 95 % CI {row['auc_low']:.3f}-{row['auc_high']:.3f}"
        parts.append(f"{row['model']} ({row['auc']:.3f}{ci})")
    lead = ranking.iloc[0]
    share = "" if math.isnan(lead["p_rank1"]) else f"; {lead['model']} ranks first in {lead['p_rank1']:.0%} of draws"
    out = [f"Ranked by normalised area under accuracy vs coverage: {', '.join(parts)}{share}."]
    seconds = ranking[ranking["auc_seconds"].notna()].sort_values("auc_seconds", ascending=False)
    if len(seconds) >= 2:
        parts = []
        for row in seconds.to_dict(orient="records"):
            low, high = row["auc_seconds_low"], row["auc_seconds_high"]
            ci = "" if math.isnan(low) else f", 95 % CI {low:.3f}-{high:.3f}"
            parts.append(f"{row['model']} ({row['auc_seconds']:.3f}{ci})")
        out.append(f"Over the clips' span in seconds instead of coverage: {', '.join(parts)}.")
    return out


def _draw_ranking(analysis, runs, save) -> None:
    from . import plots

    for run in runs:
        if run.predictions is not None and {"median_spacing", "fps", "distinct_frames"} <= set(run.predictions):
            figure = plots.accuracy_vs_spacing_seconds(run.predictions, run.name)
            save(f"{run.name}/accuracy_vs_spacing_seconds", figure)


RANKING = Entry(
    "ranking", "robustness ranking",
    "How the models rank by the normalised area under accuracy vs coverage (and vs span in seconds), with CIs.",
    _ranking, partial=(("bootstrap CIs of the robustness ranking", EVERY_MODEL_PREDICTIONS),
                       ("robustness over the span in seconds", PREDICTIONS)),
    json=("multimodel_analysis:ranking", "multimodel_analysis:ranking_definition",
          "multimodel_analysis:span_seconds_by_coverage"),
    figures=("{model}/accuracy_vs_spacing_seconds",), draw=_draw_ranking, finding=_ranking_finding,
)  # fmt: skip


def _best(ctx) -> None:
    best = best_variants(ctx.tables["accuracy_by_variant"])
    keys = ("variant", "coverage", "stride", "accuracy", "ci_low", "ci_high", "boot_low", "boot_high")
    ctx.multimodel["best"] = {
        row["model"]: {k: row[k] for k in keys if k in row} for row in best.to_dict(orient="records")
    }
    ctx.extras["best"] = best


def _best_finding(analysis) -> list[str]:
    return [f"{row['model']} reaches its best accuracy, {row['accuracy']:.3f} ({ci_text(row)}), at {row['variant']}."
            for row in analysis.extras["best"].to_dict(orient="records")]  # fmt: skip


BEST = Entry(
    "best", "best variant", "Where each model peaks: its most accurate variant, with the interval of that cell.",
    _best, json=("multimodel_analysis:best",), finding=_best_finding,
)  # fmt: skip


def _drop(ctx) -> None:
    drops = aliasing_drop(ctx.inputs.results)
    ctx.multimodel["aliasing_drop"] = {
        m: dict(zip(d["stride"].astype(str), d["drop"])) for m, d in drops.groupby("model")
    }
    ctx.extras["drops"] = drops


def _drop_finding(analysis) -> list[str]:
    drops, out = analysis.extras["drops"], []
    for model, d in drops[drops["stride"] == "mean"].set_index("model")["drop"].items():
        verb = "loses" if d >= 0 else "gains"
        out.append(f"{model} {verb} {abs(d):.3f} accuracy when coverage falls from 100 % to 25 % (mean over strides).")
    return out


ALIASING_DROP = Entry(
    "aliasing_drop", "aliasing drop", "How much accuracy each model loses from 100 % to 25 % coverage, per stride.",
    _drop, needs=(COVERAGES_25_100,), json=("multimodel_analysis:aliasing_drop",), finding=_drop_finding,
)  # fmt: skip


def _critical(ctx) -> None:
    table = critical_coverage(ctx.inputs.results, ctx.margin)
    ctx.multimodel["critical_coverage"] = table.set_index("model").to_dict(orient="index")


def _critical_finding(analysis) -> list[str]:
    return [f"{model} needs {row['critical_coverage']:g} % coverage to stay within {row['margin']:.2f} of its best "
            "accuracy." for model, row in analysis.multimodel["critical_coverage"].items()]  # fmt: skip


CRITICAL_COVERAGE = Entry(
    "critical_coverage", "critical coverage",
    "The lowest coverage at which each model stays within the margin of its best accuracy.",
    _critical, json=("multimodel_analysis:critical_coverage",), finding=_critical_finding,
)  # fmt: skip


def _sensitivity(ctx) -> None:
    per_class = ctx.inputs.per_class
    sensitivity = {m: class_sensitivity(pc) for m, pc in per_class.groupby("model", sort=False)}
    ctx.tables["class_sensitivity"] = pd.concat([s.assign(model=m) for m, s in sensitivity.items()])
    ctx.multimodel["sensitivity_tiers"] = {
        m: {**s["tier"].value_counts().to_dict(), "thresholds": list(TIER_THRESHOLDS)} for m, s in sensitivity.items()
    }
    ctx.extras["sensitivity"] = sensitivity


def _no_sensitivity(ctx) -> None:
    ctx.multimodel["sensitivity_tiers"] = {}


def _draw_sensitivity(analysis, runs, save) -> None:
    from . import plots

    sensitivity = analysis.extras["sensitivity"]
    for run in runs:
        if run.name in sensitivity:
            save(f"{run.name}/per_class_representative",
                 plots.per_class_representative(run.per_class, sensitivity[run.name], run.name))  # fmt: skip
            save(f"{run.name}/aliasing_drop_hist", plots.aliasing_drop_hist(sensitivity[run.name], run.name))


def _sensitivity_finding(analysis) -> list[str]:
    return [f"{model}: {tiers.get('sensitive', 0)} sensitive, {tiers.get('moderate', 0)} moderate and "
            f"{tiers.get('robust', 0)} robust classes."
            for model, tiers in analysis.multimodel["sensitivity_tiers"].items()]  # fmt: skip


CLASS_SENSITIVITY = Entry(
    "class_sensitivity", "per-class sensitivity tiers",
    "Which classes lose most from 100 % to 25 % coverage: robust, moderate or sensitive tiers per model.",
    _sensitivity, only_if=(PER_CLASS_25_100,), absent=_no_sensitivity, tables=("class_sensitivity",),
    json=("multimodel_analysis:sensitivity_tiers",),
    figures=("{model}/per_class_representative", "{model}/aliasing_drop_hist"), draw=_draw_sensitivity,
    finding=_sensitivity_finding,
)  # fmt: skip
