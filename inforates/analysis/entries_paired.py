"""Registry entries of the paired protocol: tests on the same videos (per-video outcomes) and the same classes,
within each model and across models, and the synthetic benchmark's Nyquist check.
"""

from __future__ import annotations

import math

import pandas as pd

from .entry import Entry
from .needs import (
    FRIEDMAN_BLOCKS,
    MOTION_FREQUENCY,
    PREDICTIONS,
    RUN_PER_CLASS,
    RUN_PREDICTIONS,
    THREE_MODELS_PER_CLASS,
    TWO_PREDICTED_MODELS,
)
from .nyquist import nyquist_check
from .paired import cochran_q, coverage_blocks, friedman_test, logistic_interaction, model_mcnemar, pairwise_mcnemar
from .pvalues import p_of


def _friedman_json(result: dict) -> dict:
    out = {k: v for k, v in result.items() if k not in ("nemenyi", "conover")}
    out["nemenyi_p"] = result["nemenyi"].to_dict()
    out["conover_holm_p"] = result["conover"].to_dict()
    return out


def _long_matrix(matrix: pd.DataFrame, model: str, name: str) -> pd.DataFrame:
    rows = [(model, a, b, matrix.loc[a, b]) for i, a in enumerate(matrix.index) for b in matrix.columns[i + 1 :]]
    return pd.DataFrame(rows, columns=["model", "coverage_a", "coverage_b", name])


# ---------------------------------------------------------------------------------------------------------------
# Paired tests within a model
# ---------------------------------------------------------------------------------------------------------------
def _cochran(ctx, run) -> None:
    ctx.per_model(run.name)["cochran_q"] = cochran_q(run.tested, run.name)


def _cochran_finding(analysis, model) -> list[str]:
    q = analysis.statistical["paired"]["per_model"][model].get("cochran_q")
    if q is None:
        return []
    verdict = "change" if q["p_value"] < 0.05 else "do not detectably change"
    return [f"The sampling variants {verdict} {model}'s accuracy on the same {q['n']} videos "
            f"(Cochran's Q = {q['statistic']:.1f}, df {q['df']}, {p_of(q)})."]  # fmt: skip


COCHRAN_Q = Entry(
    "cochran_q", "Cochran's Q", "Whether a model's accuracy differs between the sampling variants on the same videos.",
    _cochran, needs=(PREDICTIONS,), only_if=(RUN_PREDICTIONS,), protocol="paired", per_model=True,
    json=("statistical_results:paired.per_model.<model>.cochran_q",), finding=_cochran_finding,
)  # fmt: skip


def _pairwise(ctx, run) -> pd.DataFrame:
    pw = pairwise_mcnemar(run.tested, run.name)
    ctx.per_model(run.name)["pairwise_mcnemar"] = {"tests": len(pw), "significant_holm": int(pw["significant"].sum()),
                                                   "file": "pairwise_variants_mcnemar.csv"}  # fmt: skip
    return pw


def _pairwise_finding(analysis, model) -> list[str]:
    pw = analysis.statistical["paired"]["per_model"][model].get("pairwise_mcnemar")
    if pw is None:
        return []
    return [f"{pw['significant_holm']} of {pw['tests']} pairs of {model}'s variants differ "
            "(McNemar, Holm-corrected 0.05)."]  # fmt: skip


PAIRWISE_MCNEMAR = Entry(
    "pairwise_mcnemar", "pairwise McNemar (variants)",
    "Which pairs of a model's variants differ on the same videos (McNemar, Holm-corrected).",
    _pairwise, needs=(PREDICTIONS,), only_if=(RUN_PREDICTIONS,), protocol="paired", per_model=True,
    tables=("pairwise_variants_mcnemar",), json=("statistical_results:paired.per_model.<model>.pairwise_mcnemar",),
    finding=_pairwise_finding,
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


def _friedman_coverage_finding(analysis, model) -> list[str]:
    fr = analysis.statistical["paired"]["per_model"][model].get("friedman_coverage")
    if fr is None:
        return []
    verdict = "changes" if fr["p_value"] < 0.05 else "does not detectably change"
    return [f"Coverage {verdict} {model}'s per-class accuracy (Friedman chi2 = {fr['statistic']:.1f}, "
            f"{p_of(fr)}, Kendall's W = {fr['kendalls_w']:.2f} over {fr['n_blocks']} classes)."]  # fmt: skip


FRIEDMAN_COVERAGE = Entry(
    "friedman_coverage", "Friedman across coverages ({model})",
    "Whether coverage changes a model's per-class accuracy (Friedman, Nemenyi and Conover post-hoc).",
    _friedman_coverage, needs=(FRIEDMAN_BLOCKS,), only_if=(RUN_PER_CLASS,), protocol="paired", per_model=True,
    tables=("pairwise_coverage_nemenyi",), json=("statistical_results:paired.per_model.<model>.friedman_coverage",),
    finding=_friedman_coverage_finding,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Paired tests across models
# ---------------------------------------------------------------------------------------------------------------
def _model_mcnemar(ctx) -> None:
    mm = model_mcnemar(ctx.inputs.tested)
    ctx.tables["pairwise_models_mcnemar"] = mm
    ctx.paired["across_models"]["model_mcnemar"] = {"tests": len(mm), "significant_holm": int(mm["significant"].sum()),
                                                    "file": "pairwise_models_mcnemar.csv"}  # fmt: skip


def _model_mcnemar_finding(analysis) -> list[str]:
    m = analysis.statistical["paired"]["across_models"]["model_mcnemar"]
    return [f"{m['significant_holm']} of {m['tests']} model-vs-model comparisons on the same videos (per "
            "variant) differ (McNemar, Holm-corrected 0.05)."]  # fmt: skip


MODEL_MCNEMAR = Entry(
    "model_mcnemar", "McNemar between models",
    "Which pairs of models differ on the same videos under each variant (McNemar, Holm-corrected).",
    _model_mcnemar, needs=(PREDICTIONS, TWO_PREDICTED_MODELS), protocol="paired", tables=("pairwise_models_mcnemar",),
    json=("statistical_results:paired.across_models.model_mcnemar",), finding=_model_mcnemar_finding,
)  # fmt: skip


def _logistic(ctx) -> None:
    try:
        logit = logistic_interaction(ctx.inputs.tested)
    except Exception as err:  # a singular design (e.g. a single coverage) must not sink the whole report
        ctx.skip("logistic model x coverage x stride", f"fit failed: {err}")
        return
    coefficients = logit["coefficients"].to_dict(orient="index")
    ctx.paired["across_models"]["logistic_interaction"] = {**logit, "coefficients": coefficients}


def _logistic_finding(analysis) -> list[str]:
    logit = analysis.statistical["paired"]["across_models"].get("logistic_interaction")
    out = []
    for key, what in (("model_x_coverage", "coverage"), ("model_x_stride", "stride")) if logit else ():
        t = logit["interaction_tests"][key]
        verdict = "differs" if t["p_value"] < 0.05 else "does not detectably differ"
        out.append(f"The effect of {what} on correctness {verdict} between models (GEE logistic model, "
                   f"Wald chi2 = {t['chi2']:.1f}, df {t['df']}, {p_of(t)}).")  # fmt: skip
    return out


LOGISTIC = Entry(
    "logistic_interaction", "logistic model x coverage x stride",
    "Whether the effect of coverage or stride on correctness differs between models (GEE logistic, Wald tests).",
    _logistic, needs=(PREDICTIONS, TWO_PREDICTED_MODELS), protocol="paired",
    json=("statistical_results:paired.across_models.logistic_interaction",), finding=_logistic_finding,
)  # fmt: skip


def _friedman_models(ctx) -> None:
    blocks = ctx.inputs.per_class.pivot_table(index="class", columns="model", values="accuracy", aggfunc="mean")
    fr = friedman_test(blocks[ctx.inputs.models])
    ctx.paired["across_models"]["friedman_models"] = _friedman_json(fr)
    ctx.extras["friedman_models"] = fr


def _draw_friedman_models(analysis, runs, save) -> None:
    from . import plots

    fr = analysis.extras["friedman_models"]
    title = f"Models ranked on per-class accuracy (Friedman {p_of(fr)}, Nemenyi alpha 0.05)"
    save("critical_difference_models", plots.critical_difference(fr["mean_ranks"], fr["nemenyi"], title))


def _friedman_models_finding(analysis) -> list[str]:
    fr = analysis.statistical["paired"]["across_models"]["friedman_models"]
    best = min(fr["mean_ranks"], key=fr["mean_ranks"].get)
    return [f"Across classes, {best} has the best mean rank ({fr['mean_ranks'][best]:.2f}; Friedman "
            f"{p_of(fr)})."]  # fmt: skip


FRIEDMAN_MODELS = Entry(
    "friedman_models", "Friedman across models / critical-difference diagram",
    "How the models rank on per-class accuracy (Friedman, Nemenyi critical differences).",
    _friedman_models, needs=(THREE_MODELS_PER_CLASS,), protocol="paired",
    json=("statistical_results:paired.across_models.friedman_models",), figures=("critical_difference_models",),
    draw=_draw_friedman_models, finding=_friedman_models_finding,
)  # fmt: skip


def _nyquist(ctx) -> None:
    ctx.paired["nyquist_check"] = nyquist_check(ctx.inputs.tested, exclude=ctx.nyquist_exclude)


def _draw_nyquist(analysis, runs, save) -> None:
    from . import plots

    excluded = analysis.statistical["paired"]["nyquist_check"].get("excluded", {})
    save("aliasing_collapse", plots.aliasing_collapse(analysis.extras["predictions"], excluded=list(excluded)))


def _nyquist_finding(analysis) -> list[str]:
    nc = analysis.statistical["paired"]["nyquist_check"]
    pooled = ", ".join(nc.get("models", [])) or "no model"
    out = [f"Nyquist check {nc['verdict']}: direction accuracy is {nc['below_nyquist_accuracy']:.3f} on "
           f"{nc['below_nyquist_n']} clips below the Nyquist limit and {nc['above_nyquist_accuracy']:.3f} on "
           f"{nc['above_nyquist_n']} clips past it, pooled over {pooled}."]  # fmt: skip
    return out + [f"{model} is left out of the Nyquist check: {reason}." for model, reason in nc["excluded"].items()]


NYQUIST = Entry(
    "nyquist_check", "Nyquist check",
    "Whether direction accuracy on the synthetic benchmark collapses past the Nyquist limit, as sampling predicts.",
    _nyquist, only_if=(MOTION_FREQUENCY,), protocol="paired", json=("statistical_results:paired.nyquist_check",),
    figures=("aliasing_collapse",), draw=_draw_nyquist, finding=_nyquist_finding,
)  # fmt: skip
