"""Registry entries of the paired protocol: tests on the same videos (per-video outcomes), within each model and
across models, the synthetic benchmark's Nyquist check, and -- for inputs without per-video outcomes only (the 2025
tables) -- Friedman tests with the class as unit.
"""

from __future__ import annotations

import math

import pandas as pd

from .entry import Entry
from .families import correct
from .markdown import holm_cell, holm_text, interval, markdown_table, p_of_cell
from .needs import (
    FRIEDMAN_BLOCKS,
    MOTION_FREQUENCY,
    PREDICTIONS,
    RUN_TABLES_ONLY,
    SOME_TABLES_ONLY,
    THREE_MODELS_PER_CLASS,
    TWO_PREDICTED_MODELS,
    per_video_entry,
)
from .nyquist import nyquist_check
from .paired import cochran_q, coverage_blocks, friedman_test, logistic_interaction, model_mcnemar, pairwise_mcnemar
from .pvalues import format_p, p_cell


def _friedman_json(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k not in ("nemenyi", "conover")}
    out["nemenyi_p"] = result["nemenyi"].to_dict()
    out["conover_holm_p"] = result["conover"].to_dict()
    return out


def _long_matrix(matrix: pd.DataFrame, model: str, name: str) -> pd.DataFrame:
    rows = [(model, a, b, matrix.loc[a, b]) for i, a in enumerate(matrix.index) for b in matrix.columns[i + 1 :]]
    return pd.DataFrame(rows, columns=["model", "coverage_a", "coverage_b", name])


def _results(analysis, key: str) -> dict:
    """``key``'s result of every model that has one."""
    return {m: r[key] for m, r in analysis.statistical["paired"]["per_model"].items() if r.get(key) is not None}


# ---------------------------------------------------------------------------------------------------------------
# Paired tests within a model
# ---------------------------------------------------------------------------------------------------------------
def _cochran(ctx, run) -> None:
    ctx.per_model(run.name)["cochran_q"] = cochran_q(run.tested, run.name)


def _cochran_correct(ctx) -> None:
    tests = list(_results(ctx.analysis, "cochran_q").values())
    correct(
        ctx.analysis,
        "cells of a model (Cochran's Q)",
        "whether any of a model's distinct cells differs, one test per model",
        tests,
    )


def _cochran_section(analysis, figures) -> list[str]:
    rows = [
        {"model": m, "Q": q["statistic"], "df": q["df"], "videos": q["n"], "p": p_of_cell(q), "Holm p": holm_cell(q)}
        for m, q in _results(analysis, "cochran_q").items()
    ]
    return [
        "## Do a model's cells differ? (Cochran's Q)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "On the same videos, across the model's distinct cells; Holm over the models. Which cells, and why, is "
        "what the sections on stride, coverage and attribution test.",
        "",
    ]


COCHRAN_Q = per_video_entry(
    "cochran_q", "Cochran's Q", "Whether a model's accuracy differs between the sampling variants on the same videos.",
    _cochran, correct=_cochran_correct, section=_cochran_section, terms=("Cochran's Q", "video as unit"),
)  # fmt: skip


def _pairwise(ctx, run) -> pd.DataFrame:
    pw = pairwise_mcnemar(run.tested, run.name)
    ctx.analysis.families[f"pairs of {run.name}'s cells (McNemar)"] = {
        "what": f"every pair of {run.name}'s distinct cells",
        "tests": len(pw),
        "correction": "Holm",
        "alpha": 0.05,
        "significant": int(pw["significant"].sum()),
    }
    ctx.per_model(run.name)["pairwise_mcnemar"] = {
        "tests": len(pw),
        "significant_holm": int(pw["significant"].sum()),
        "file": "pairwise_variants_mcnemar.csv",
    }
    return pw


def _pairwise_section(analysis, figures) -> list[str]:
    counts = ", ".join(
        f"{m} {r['significant_holm']} of {r['tests']}" for m, r in _results(analysis, "pairwise_mcnemar").items()
    )
    return [
        "## Pairs of cells (McNemar)",
        "",
        f"Pairs of a model's distinct cells that differ on the same videos (McNemar, Holm within the model): "
        f"{counts}. Every pair: `pairwise_variants_mcnemar.csv`.",
        "",
    ]


PAIRWISE_MCNEMAR = per_video_entry(
    "pairwise_mcnemar", "pairwise McNemar (variants)",
    "Which pairs of a model's variants differ on the same videos (McNemar, Holm-corrected).", _pairwise,
    tables=("pairwise_variants_mcnemar",), section=_pairwise_section, terms=("McNemar", "Holm"),
)  # fmt: skip


def _friedman_coverage(ctx, run) -> pd.DataFrame | None:
    blocks = coverage_blocks(run.per_class)
    blocks.columns = [f"{c:g}" for c in blocks.columns]
    fr = friedman_test(blocks)
    if math.isnan(fr["statistic"]):
        ctx.skip(f"Friedman across coverages ({run.name})", "every class ties all coverages: nothing to rank")
        return None
    ctx.per_model(run.name)["friedman_coverage"] = _friedman_json(fr)
    return _long_matrix(fr["nemenyi"], run.name, "p_nemenyi").merge(
        _long_matrix(fr["conover"], run.name, "p_conover_holm"), on=["model", "coverage_a", "coverage_b"]
    )


def _friedman_coverage_correct(ctx) -> None:
    correct(
        ctx.analysis,
        "coverage, per-class (Friedman)",
        "whether coverage changes a model's per-class accuracy (class as unit: tables without per-video outcomes)",
        list(_results(ctx.analysis, "friedman_coverage").values()),
    )


def _friedman_coverage_section(analysis, figures) -> list[str]:
    rows = [
        {
            "model": m,
            "chi2": f["statistic"],
            "classes": f["n_blocks"],
            "Kendall's W": f["kendalls_w"],
            "p": p_of_cell(f),
            "Holm p": holm_cell(f),
        }
        for m, f in _results(analysis, "friedman_coverage").items()
    ]
    return [
        "## Coverage and per-class accuracy (Friedman, class as unit)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "These inputs have no per-video outcomes, so the class is the unit: each class ranks the coverages "
        "by its accuracy (mean over strides). Nemenyi and Conover pairs: `pairwise_coverage_nemenyi.csv`.",
        "",
    ]


FRIEDMAN_COVERAGE = Entry(
    "friedman_coverage", "Friedman across coverages ({model})",
    "Whether coverage changes the per-class accuracy of a model known only from tables (class as unit).",
    _friedman_coverage, needs=(FRIEDMAN_BLOCKS,), only_if=(RUN_TABLES_ONLY,), protocol="paired", per_model=True,
    tables=("pairwise_coverage_nemenyi",), json=("statistical_results:paired.per_model.<model>.friedman_coverage",),
    correct=_friedman_coverage_correct, section=_friedman_coverage_section, terms=("Friedman", "Kendall's W"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Paired tests across models
# ---------------------------------------------------------------------------------------------------------------
def _model_mcnemar(ctx) -> None:
    mm = model_mcnemar(ctx.inputs.tested)
    ctx.tables["pairwise_models_mcnemar"] = mm
    ctx.analysis.families["models cell by cell (McNemar)"] = {
        "what": "every pair of models in every cell, on the same videos",
        "tests": len(mm),
        "correction": "Holm",
        "alpha": 0.05,
        "significant": int(mm["significant"].sum()),
    }
    ctx.paired["across_models"]["model_mcnemar"] = {
        "tests": len(mm),
        "significant_holm": int(mm["significant"].sum()),
        "file": "pairwise_models_mcnemar.csv",
    }


def _model_mcnemar_section(analysis, figures) -> list[str]:
    m = analysis.statistical["paired"]["across_models"]["model_mcnemar"]
    table = analysis.tables["pairwise_models_mcnemar"]
    top = table[table["significant"]].sort_values("p_holm").head(10)
    lines = [
        "## Models cell by cell (McNemar)",
        "",
        f"{m['significant_holm']} of {m['tests']} model-vs-model comparisons (every pair of models in every "
        "cell, on the same videos) differ after Holm over all of them; every one: `pairwise_models_mcnemar.csv`.",
        "",
    ]
    if len(top):
        rows = pd.DataFrame(
            {
                "cell": top["variant"],
                "pair": top["model_a"] + " - " + top["model_b"],
                "accuracy a / b": [f"{a:.3f} / {b:.3f}" for a, b in zip(top["accuracy_a"], top["accuracy_b"])],
                "Holm p": [p_cell(p) for p in top["p_holm"]],
            }
        )
        lines += ["The ten smallest corrected p-values:", "", markdown_table(rows), ""]
    return lines


MODEL_MCNEMAR = Entry(
    "model_mcnemar", "McNemar between models",
    "Which pairs of models differ on the same videos under each variant (McNemar, Holm-corrected).", _model_mcnemar,
    needs=(PREDICTIONS, TWO_PREDICTED_MODELS), protocol="paired", tables=("pairwise_models_mcnemar",),
    json=("statistical_results:paired.across_models.model_mcnemar",), section=_model_mcnemar_section,
    terms=("McNemar", "Holm"),
)  # fmt: skip


INTERACTIONS = {"model_x_coverage": "coverage", "model_x_stride": "stride"}


def _logistic(ctx) -> None:
    try:
        logit = logistic_interaction(ctx.inputs.tested)
    except Exception as err:  # a singular design (e.g. a single coverage) must not sink the whole report
        ctx.skip("logistic model x coverage x stride", f"fit failed: {err}")
        return
    coefficients = logit["coefficients"].to_dict(orient="index")
    tests = [logit["interaction_tests"][key] for key in INTERACTIONS]
    correct(
        ctx.analysis,
        "model x sampling (GEE Wald)",
        "whether the effect of coverage, or of stride, on correctness differs between models",
        tests,
    )
    ctx.paired["across_models"]["logistic_interaction"] = {**logit, "coefficients": coefficients}


def _logistic_tests(analysis) -> dict:
    logit = analysis.statistical["paired"]["across_models"].get("logistic_interaction")
    return {} if logit is None else logit["interaction_tests"]


def _logistic_headline(analysis) -> list[str]:
    out = []
    for key, what in INTERACTIONS.items():
        t = _logistic_tests(analysis).get(key)
        if t is not None and t["significant"]:
            out.append(
                f"The effect of {what} on correctness differs between the models (GEE logistic model, Wald "
                f"chi2 = {t['chi2']:.1f}, df {t['df']}, {holm_text(t)})."
            )
    return out


def _logistic_section(analysis, figures) -> list[str]:
    tests = _logistic_tests(analysis)
    if not tests:
        return []
    logit = analysis.statistical["paired"]["across_models"]["logistic_interaction"]
    rows = [
        {
            "does the effect of": what,
            "differ between models?": "yes" if tests[key]["significant"] else "not detectably",
            "Wald chi2": tests[key]["chi2"],
            "df": tests[key]["df"],
            "p": p_of_cell(tests[key]),
            "Holm p": holm_cell(tests[key]),
        }
        for key, what in INTERACTIONS.items()
    ]
    return [
        "## Do the models respond to sampling alike? (GEE)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        f"GEE logistic model `{logit['formula']}` of {logit['n_obs']} clips in {logit['n_clusters']} clusters "
        "(robust errors); joint Wald tests of the model x coverage and model x stride terms, Holm over the two.",
        "",
    ]


LOGISTIC = Entry(
    "logistic_interaction", "logistic model x coverage x stride",
    "Whether the effect of coverage or stride on correctness differs between models (GEE logistic, Wald tests).",
    _logistic, needs=(PREDICTIONS, TWO_PREDICTED_MODELS), protocol="paired",
    json=("statistical_results:paired.across_models.logistic_interaction",), section=_logistic_section,
    headline=_logistic_headline, terms=("GEE", "Holm"),
)  # fmt: skip


def _friedman_models(ctx) -> None:
    blocks = ctx.inputs.per_class.pivot_table(index="class", columns="model", values="accuracy", aggfunc="mean")
    fr = friedman_test(blocks[ctx.inputs.models])
    ctx.paired["across_models"]["friedman_models"] = _friedman_json(fr)


def _draw_friedman_models(analysis, runs, save) -> None:
    from . import plots

    fr = analysis.statistical["paired"]["across_models"]["friedman_models"]
    title = (
        f"Models ranked on per-class accuracy (Friedman {format_p(fr['p_value'], fr['log10_p'])}, Nemenyi alpha 0.05)"
    )
    save(
        "critical_difference_classes",
        plots.critical_difference(fr["mean_ranks"], pd.DataFrame(fr["nemenyi_p"]), title),
    )


def _friedman_models_section(analysis, figures) -> list[str]:
    fr = analysis.statistical["paired"]["across_models"]["friedman_models"]
    ranks = ", ".join(f"{m} {r:.2f}" for m, r in sorted(fr["mean_ranks"].items(), key=lambda kv: kv[1]))
    verdict = "differ" if fr["p_value"] < 0.05 else "are not distinguishable"
    return [
        "## Models across classes (Friedman, class as unit)",
        "",
        f"On per-class accuracy (mean over the grid), the models {verdict} (Friedman chi2 = "
        f"{fr['statistic']:.2f}, {format_p(fr['p_value'], fr['log10_p'])}, Kendall's W = {fr['kendalls_w']:.3f} over "
        f"{fr['n_blocks']} classes); mean ranks (1 = best): {ranks}. Some inputs have no per-video outcomes, so "
        "the class is the unit; Nemenyi pairs in `statistical_results.json`.",
        "",
        *figures.lines("critical_difference_classes"),
    ]


FRIEDMAN_MODELS = Entry(
    "friedman_models", "Friedman across models (classes)",
    "Whether models known partly from tables differ on per-class accuracy (class as unit).", _friedman_models,
    needs=(THREE_MODELS_PER_CLASS,), only_if=(SOME_TABLES_ONLY,), protocol="paired",
    json=("statistical_results:paired.across_models.friedman_models",), figures=("critical_difference_classes",),
    draw=_draw_friedman_models, section=_friedman_models_section, terms=("Friedman", "Kendall's W"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# The synthetic benchmark's Nyquist check
# ---------------------------------------------------------------------------------------------------------------
def _nyquist(ctx) -> None:
    ctx.paired["nyquist_check"] = nyquist_check(
        ctx.inputs.tested, exclude=ctx.nyquist_exclude, n_boot=ctx.n_boot, seed=ctx.seed
    )


def _draw_nyquist(analysis, runs, save) -> None:
    from . import plots

    excluded = analysis.statistical["paired"]["nyquist_check"].get("excluded", {})
    save("aliasing_collapse", plots.aliasing_collapse(analysis.extras["predictions"], excluded=list(excluded)))


def within_video_text(check: dict) -> str:
    """The check's verdict sentence: the within-video figures it rests on, the video as unit."""
    w, t = check["within_video"], check["thresholds"]
    pooled = ", ".join(check["models"]) or "no model"
    return (
        f"Nyquist check {check['verdict']} ({pooled}): within each video, direction accuracy {w['below']:.3f} "
        f"below the limit (frac(x) < {t['below']}; needs >= {t['min_below_accuracy']}) and {w['above']:.3f} "
        f"past it ({t['above'][0]} < frac(x) < {t['above'][1]}; needs <= {t['max_above_accuracy']}); "
        f"difference {w['difference']:.3f} (95 % CI {interval(w['ci_low'], w['ci_high'], null=0.0)}, "
        f"{w['test']} {format_p(w['p_value'], w['log10_p'])}) over {w['n_videos']} videos"
    )


def _nyquist_headline(analysis) -> list[str]:
    check = analysis.statistical["paired"]["nyquist_check"]
    return [f"**{within_video_text(check)}**."]


def _nyquist_section(analysis, figures) -> list[str]:
    check = analysis.statistical["paired"]["nyquist_check"]
    rows = [
        {"model": m, "below the limit": r["below"], "past it": r["above"], "videos": r["n_videos"]}
        for m, r in check["per_model"].items()
    ]
    lines = [
        "## Nyquist check (the synthetic benchmark)",
        "",
        within_video_text(check) + ".",
        "",
        "Each video is swept over spacings and crosses the limit at spacings of its own, so a model that fails "
        "at some spacing whatever the frequency cannot pass. The video is the unit: its direction accuracy "
        "below and past the limit is averaged over the models pooled, and the Wilcoxon test and the "
        "cluster-bootstrap CI run over videos. Each model's own figures:",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        f"Pooled over clips (descriptive): {check['below_nyquist_accuracy']:.3f} on {check['below_nyquist_n']} "
        f"clips below the limit, {check['above_nyquist_accuracy']:.3f} on {check['above_nyquist_n']} past it.",
        "",
    ]
    lines += [f"{model} is left out of the Nyquist check: {reason}." for model, reason in check["excluded"].items()]
    return lines + ([""] if check["excluded"] else []) + figures.lines("aliasing_collapse")


NYQUIST = Entry(
    "nyquist_check", "Nyquist check",
    "Whether direction accuracy on the synthetic benchmark collapses past the Nyquist limit, as sampling predicts.",
    _nyquist, only_if=(MOTION_FREQUENCY,), protocol="paired", json=("statistical_results:paired.nyquist_check",),
    figures=("aliasing_collapse",), draw=_draw_nyquist, section=_nyquist_section, headline=_nyquist_headline,
    terms=("Nyquist", "folded turn", "Wilcoxon", "video as unit"),
)  # fmt: skip
