"""Registry entries of robustness to sparser sampling, under every protocol: each model's AUC over coverage and the
paired tests between models (``ranking``), the accuracy lost from 100 % to 25 % coverage (``coverage_drop``), the
critical coverage and the per-class changes. Claims rest on paired per-video tests, corrected within their
family; from aggregate tables (no per-video outcomes) the figures are given and nothing is claimed.
"""

from __future__ import annotations

import math

import pandas as pd

from ..schema import primary_grid
from .entry import Entry
from .families import correct
from .markdown import holm_cell, holm_text, interval, markdown_table, points, points_interval
from .needs import COVERAGES_25_100, EVERY_MODEL_PREDICTIONS, PER_CLASS_25_100, PREDICTIONS
from .paired import friedman_test
from .pvalues import p_cell, p_of
from .robustness import (
    TIER_THRESHOLDS,
    TIERS,
    aliasing_drop,
    auc_differences,
    auc_ranking,
    class_sensitivity,
    cluster_mean_test,
    coverage_drop_per_video,
    critical_coverage,
    per_video_auc,
    span_by_coverage,
)


# ---------------------------------------------------------------------------------------------------------------
# AUC over coverage, and the models compared on it
# ---------------------------------------------------------------------------------------------------------------
def _ranking(ctx) -> None:
    complete = ctx.met(EVERY_MODEL_PREDICTIONS)  # CIs and tests need every model's videos
    predicted = [r.name for r in ctx.inputs.runs if r.predictions is not None]
    results = ctx.inputs.results
    spans = span_by_coverage(results[results["model"].isin(predicted)]) if predicted else None
    grid = primary_grid(ctx.inputs.predictions) if complete else None
    ranking = auc_ranking(results, grid, n_boot=ctx.n_boot, seed=ctx.seed, spans=spans)
    ctx.multimodel["ranking"] = ranking.to_dict(orient="records")
    ctx.multimodel["ranking_definition"] = (
        "auc: area under accuracy (mean over strides) vs coverage / coverage range, the coverage-averaged accuracy; "
        "auc_seconds: the same curve against the median clip span in seconds at each coverage / that span's range; "
        "models are ordered by auc, and only the paired tests (pairs) say which differ"
    )
    if spans is not None and len(spans):
        ctx.multimodel["span_seconds_by_coverage"] = {
            m: dict(zip((f"{c:g}" for c in d["coverage"]), d["span_seconds"])) for m, d in spans.groupby("model")
        }
    ctx.extras["ranking"] = ranking
    if not complete or len(ctx.inputs.runs) < 2:
        return
    per_video = per_video_auc(ctx.inputs.predictions)
    pairs = auc_differences(per_video, ctx.n_boot, ctx.seed).to_dict(orient="records")
    correct(
        ctx.analysis,
        "robustness: pairs of models",
        "AUC over coverage, model vs model on the same videos (Wilcoxon signed-rank)",
        pairs,
    )
    ctx.multimodel["ranking_pairs"] = pairs
    ctx.tables["ranking_pairs"] = pd.DataFrame(pairs)
    if len(ctx.inputs.runs) >= 3:
        blocks = per_video.pivot_table(index="video_id", columns="model", values="auc", aggfunc="first")
        fr = friedman_test(blocks[ctx.inputs.models])
        ctx.multimodel["ranking_friedman"] = {k: v for k, v in fr.items() if k not in ("nemenyi", "conover")}
        ctx.extras["ranking_friedman"] = fr


def _verdict(pairs: list[dict]) -> tuple[str | None, list[str]]:
    """The model significantly above every other (None if none), and each significant pair as ``a > b``."""
    wins: dict[str, set] = {}
    above = []
    for p in pairs:
        if not p["significant"]:
            continue
        hi, lo = (p["model_a"], p["model_b"]) if p["difference"] > 0 else (p["model_b"], p["model_a"])
        wins.setdefault(hi, set()).add(lo)
        above.append(f"{hi} > {lo} (AUC {points(abs(p['difference']))} points, {holm_text(p)})")
    models = {m for p in pairs for m in (p["model_a"], p["model_b"])}
    leader = next((m for m, beaten in wins.items() if beaten == models - {m}), None)
    return leader, above


def _ranking_headline(analysis) -> list[str]:
    pairs = analysis.multimodel.get("ranking_pairs")
    if pairs is None:
        return []
    leader, above = _verdict(pairs)
    if leader is not None:
        return [
            f"Robustness (AUC over coverage, paired on the same videos): **{leader} is the most robust**; "
            f"{'; '.join(above)}."
        ]
    if above:
        return [
            f"Robustness (AUC over coverage, paired on the same videos): no model is above all others; "
            f"{'; '.join(above)}; the other pairs are not distinguishable."
        ]
    smallest = min(pairs, key=lambda p: p["p_holm"])
    return [
        f"Robustness (AUC over coverage, paired on the same videos): the models are not distinguishable "
        f"({len(pairs)} paired comparison(s); smallest {holm_text(smallest)})."
    ]


def _ranking_columns(analysis) -> dict[str, dict[str, str]]:
    ranking = analysis.extras["ranking"]
    return {
        "AUC over coverage (95 % CI)": {
            r.model: f"{r.auc:.3f} ({interval(r.auc_low, r.auc_high)})" for r in ranking.itertuples()
        }
    }


def _draw_ranking(analysis, runs, save) -> None:
    from . import plots

    for run in runs:
        if run.predictions is not None and {"median_spacing", "fps", "distinct_frames"} <= set(run.predictions):
            figure = plots.accuracy_vs_spacing_seconds(run.predictions, run.name)
            save(f"{run.name}/accuracy_vs_spacing_seconds", figure)
    fr = analysis.extras.get("ranking_friedman")
    if fr is not None:
        title = f"Models ranked on per-video AUC (Friedman {p_of(fr)}, Nemenyi alpha 0.05)"
        save("critical_difference_models", plots.critical_difference(fr["mean_ranks"], fr["nemenyi"], title))


def _ranking_section(analysis, figures) -> list[str]:
    ranking = analysis.extras["ranking"]
    table = pd.DataFrame(
        {
            "model": ranking["model"],
            "AUC": ranking["auc"],
            "95 % CI": [interval(a, b) for a, b in zip(ranking["auc_low"], ranking["auc_high"])],
        }
    )
    if ranking["auc_seconds"].notna().any():
        table["AUC over span (s)"] = ranking["auc_seconds"]
        table["95 % CI (s)"] = [
            interval(a, b) for a, b in zip(ranking["auc_seconds_low"], ranking["auc_seconds_high"])
        ]
    lines = [
        "## Robustness: accuracy averaged over coverage",
        "",
        markdown_table(table),
        "",
        "AUC: the area under accuracy (mean over strides) against coverage, divided by the coverage range; "
        "models are listed by it, which is no ranking until the paired tests below say so. AUC over span: the "
        "same curve against the clips' median span in seconds.",
        "",
    ]
    pairs = analysis.multimodel.get("ranking_pairs")
    if pairs is None:
        lines += ["Not tested: comparing models needs every model's per-video predictions.", ""]
    else:
        rows = [
            {
                "pair": f"{p['model_a']} - {p['model_b']}",
                "AUC difference (points)": points(p["difference"]),
                "95 % CI": points_interval(p["ci_low"], p["ci_high"]),
                "videos": p["n_videos"],
                "Wilcoxon p": p_cell(p["p_value"], p["log10_p"]),
                "Holm p": holm_cell(p),
            }
            for p in pairs
        ]
        lines += [
            "Each pair on the same videos: the difference of their per-video AUCs, with a cluster-bootstrap "
            "CI and a Wilcoxon signed-rank test, Holm-corrected over the pairs (`ranking_pairs.csv`):",
            "",
            markdown_table(pd.DataFrame(rows)),
            "",
        ]
        fr = analysis.multimodel.get("ranking_friedman")
        if fr is not None:
            lines += [
                f"Across all models: Friedman chi2 = {fr['statistic']:.2f}, {p_of(fr)}, Kendall's W = "
                f"{fr['kendalls_w']:.3f} over {fr['n_blocks']} videos.",
                "",
            ]
    return lines + figures.lines(
        "critical_difference_models", *(f"{m}/accuracy_vs_spacing_seconds" for m in analysis.models)
    )


RANKING = Entry(
    "ranking", "robustness ranking",
    "Each model's AUC over coverage (and over span in seconds) with CIs, and which models differ on the same videos.",
    _ranking,
    partial=(("paired comparisons of the models' robustness", EVERY_MODEL_PREDICTIONS),
             ("robustness over the span in seconds", PREDICTIONS)),
    json=("multimodel_analysis:ranking", "multimodel_analysis:ranking_definition", "multimodel_analysis:ranking_pairs",
          "multimodel_analysis:span_seconds_by_coverage"),
    tables=("ranking_pairs",), figures=("{model}/accuracy_vs_spacing_seconds", "critical_difference_models"),
    draw=_draw_ranking, section=_ranking_section, summary_columns=_ranking_columns, headline=_ranking_headline,
    terms=("AUC", "Wilcoxon", "Friedman", "Kendall's W", "Holm"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Accuracy lost from 100 % to 25 % coverage
# ---------------------------------------------------------------------------------------------------------------
def _drop(ctx) -> None:
    drops = aliasing_drop(ctx.inputs.results)
    section = {"per_stride": {m: dict(zip(d["stride"].astype(str), d["drop"])) for m, d in drops.groupby("model")}}
    ctx.extras["drops"] = drops
    if ctx.met(PREDICTIONS):
        per_video = coverage_drop_per_video(ctx.inputs.predictions)
        tests = []
        for model, rows in per_video.groupby("model", sort=False):
            test = cluster_mean_test(rows["value"], rows["cluster"], ctx.n_boot, ctx.seed)
            tests.append({"model": model, "drop": test.pop("mean"), **test})
        correct(
            ctx.analysis,
            "coverage drop 100 % -> 25 %",
            "accuracy at 100 % minus at 25 % coverage (mean over "
            "strides), per model on the same videos (Wilcoxon signed-rank)",
            tests,
        )
        section["tests"] = {t["model"]: t for t in tests}
    ctx.multimodel["coverage_drop"] = section


def _drop_fragments(analysis, model) -> list[str]:
    test = analysis.multimodel["coverage_drop"].get("tests", {}).get(model)
    if test is None or not test["significant"]:
        return []
    lost = test["drop"] > 0
    low, high = (test["ci_low"], test["ci_high"]) if lost else (-test["ci_high"], -test["ci_low"])
    return [
        f"{'loses' if lost else 'gains'} {abs(100 * test['drop']):.1f} points from 100 % to 25 % coverage "
        f"(95 % CI {points_interval(low, high).replace('+', '')}, {holm_text(test)})"
    ]


def _drop_section(analysis, figures) -> list[str]:
    drops, tests = analysis.extras["drops"], analysis.multimodel["coverage_drop"].get("tests", {})
    wide = drops.pivot_table(index="model", columns="stride", values="drop", aggfunc="first", sort=False)
    wide.columns = [f"stride {c}" if c != "mean" else "mean" for c in wide.columns]
    table = wide.reset_index()
    for column in wide.columns:
        table[column] = [points(v) for v in table[column]]
    if tests:
        table["95 % CI of the mean"] = [
            points_interval(tests[m]["ci_low"], tests[m]["ci_high"]) if m in tests else "" for m in table["model"]
        ]
        table["Holm p"] = [holm_cell(tests[m]) if m in tests else "" for m in table["model"]]
    how = (
        "the CI (in points) and the Wilcoxon test on each video's own drop, Holm over the models"
        if tests
        else "not tested: it needs per-video predictions"
    )
    return [
        "## Accuracy lost from 100 % to 25 % coverage",
        "",
        markdown_table(table),
        "",
        f"Accuracy at 100 % minus at 25 % coverage per stride, in points (positive: lost when the clip covers "
        f"less); {how}.",
        "",
    ]


COVERAGE_DROP = Entry(
    "coverage_drop", "coverage drop",
    "How much accuracy each model loses (or gains) from 100 % to 25 % coverage, per stride, tested on the videos.",
    _drop, needs=(COVERAGES_25_100,), partial=(("the coverage drop's test", PREDICTIONS),),
    json=("multimodel_analysis:coverage_drop",), section=_drop_section, model_headline=_drop_fragments,
    terms=("Wilcoxon", "Holm"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Critical coverage (descriptive)
# ---------------------------------------------------------------------------------------------------------------
def _critical(ctx) -> None:
    table = critical_coverage(ctx.inputs.results, ctx.margin)
    ctx.multimodel["critical_coverage"] = table.set_index("model").to_dict(orient="index")


def _critical_section(analysis, figures) -> list[str]:
    rows = []
    for model, row in analysis.multimodel["critical_coverage"].items():
        critical = row["critical_coverage"]
        holds = (
            f"{critical:g} %"
            if not math.isnan(critical)
            else "none: accuracy at the largest coverage is more than the margin below the best"
        )
        rows.append(
            {
                "model": model,
                "best (any stride)": row["best_accuracy"],
                "at coverage": f"{row['best_coverage']:g} %",
                "within the margin from": holds,
            }
        )
    margin = next(iter(analysis.multimodel["critical_coverage"].values()))["margin"]
    return [
        "## Critical coverage",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        f"The lowest coverage from which on, at every larger coverage, some stride stays within {margin:g} of "
        "the model's best accuracy; per stride in `multimodel_analysis.json`. Descriptive (no test), defined "
        "whether accuracy rises with coverage or not.",
        "",
    ]


CRITICAL_COVERAGE = Entry(
    "critical_coverage", "critical coverage",
    "The lowest coverage from which on each model stays within the margin of its best accuracy (descriptive).",
    _critical, json=("multimodel_analysis:critical_coverage",), section=_critical_section,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Per-class changes (descriptive)
# ---------------------------------------------------------------------------------------------------------------
def _classes(ctx) -> None:
    changes = {m: class_sensitivity(pc) for m, pc in ctx.inputs.per_class.groupby("model", sort=False)}
    ctx.tables["class_changes"] = pd.concat([c.assign(model=m) for m, c in changes.items()])
    ctx.multimodel["class_changes"] = {
        m: {
            "tiers": {t: int((c["tier"] == t).sum()) for t in TIERS},
            "directions": {d: int((c["direction"] == d).sum()) for d in ("loss", "gain", "none")},
            "thresholds": list(TIER_THRESHOLDS),
        }
        for m, c in changes.items()
    }
    ctx.extras["class_changes"] = changes


def _no_classes(ctx) -> None:
    ctx.multimodel["class_changes"] = {}


def _draw_classes(analysis, runs, save) -> None:
    from . import plots

    changes = analysis.extras["class_changes"]
    for run in runs:
        if run.name in changes:
            save(
                f"{run.name}/per_class_representative",
                plots.per_class_representative(run.per_class, changes[run.name], run.name),
            )
            save(f"{run.name}/class_change_hist", plots.class_change_hist(changes[run.name], run.name))


def _classes_section(analysis, figures) -> list[str]:
    rows = []
    for model, summary in analysis.multimodel["class_changes"].items():
        change = analysis.extras["class_changes"][model]
        large = change[change["tier"] == "large"]
        rows.append(
            {
                "model": model,
                **{t: summary["tiers"][t] for t in TIERS},
                "losses / gains": f"{summary['directions']['loss']} / {summary['directions']['gain']}",
                "largest changes": ", ".join(
                    f"{c} ({points(d)})" for c, d in zip(large["class"].head(3), large["drop"].head(3))
                )
                or "-",
            }
        )
    low, high = TIER_THRESHOLDS
    lines = [
        "## Classes: how much each changes from 100 % to 25 % coverage",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        f"Tiers by the size of the change either way (stable < {low:g}, moderate < {high:g}, large), with "
        "its direction (a loss: lower at 25 %). Observed on each class's videos, not tested: "
        "`class_changes.csv`.",
        "",
    ]
    return lines + [
        line
        for m in analysis.models
        for line in figures.lines(f"{m}/class_change_hist", f"{m}/per_class_representative")
    ]


CLASS_CHANGES = Entry(
    "class_changes", "per-class changes",
    "Which classes change most from 100 % to 25 % coverage, either way: stable, moderate or large (descriptive).",
    _classes, only_if=(PER_CLASS_25_100,), absent=_no_classes, tables=("class_changes",),
    json=("multimodel_analysis:class_changes",),
    figures=("{model}/per_class_representative", "{model}/class_change_hist"), draw=_draw_classes,
    section=_classes_section, terms=("class change",),
)  # fmt: skip
