"""Registry entries of the paired protocol that take sampling apart, per model: which clip property correctness
depends on (``attribution``), the stride effect among clips without padding (``matched_evidence``), and the
repeated-measures ANOVA over coverage x stride (``rm_anova``).
"""

from __future__ import annotations

import math

import pandas as pd

from .attribution import PREDICTORS, attribution, attribution_table
from .entry import Entry
from .matched import matched_evidence
from .needs import CLIP_FACTS, COVERAGE_STRIDE_GRID, PREDICTIONS, RUN_PREDICTIONS, TWO_STRIDES
from .paired import rm_anova
from .pvalues import format_p, p_of


def _result(analysis, model: str, key: str) -> dict | None:
    return analysis.statistical["paired"]["per_model"][model].get(key)


# ---------------------------------------------------------------------------------------------------------------
# Attribution: spacing, distinct frames or span?
# ---------------------------------------------------------------------------------------------------------------
SHORT_UNITS = {"log2_spacing_seconds": "per doubling", "log2_distinct_frames": "per doubling",
               "span_tenths": "per 10 % of the video"}  # fmt: skip


def _attribution(ctx, run) -> pd.DataFrame | None:
    result = attribution(run.tested)
    ctx.per_model(run.name)["attribution"] = result
    if "skipped" in result:
        ctx.skip(f"attribution ({run.name})", result["skipped"])
        return None
    return attribution_table(result, run.name)


def _effect_text(name: str, fit: dict) -> str:
    return (f"{fit['label']} (OR {fit['odds_ratio']:.2f} {SHORT_UNITS[name]}, 95 % CI {fit['ci_low']:.2f}-"
            f"{fit['ci_high']:.2f}, {p_of(fit)})")  # fmt: skip


def _attribution_finding(analysis, model) -> list[str]:
    result = _result(analysis, model, "attribution")
    if result is None or "skipped" in result:
        return []
    fits = result["predictors"]
    effects = [_effect_text(name, fits[name]) for name in result["order"]]
    how = (f"GEE logistic model of {result['n_rows']} clips in {result['n_clusters']} clusters of "
           f"{result['cluster_unit']}, the three at once")  # fmt: skip
    if result["single_frame_rows_dropped"]:
        how += f"; {result['single_frame_rows_dropped']} single-frame clips have no spacing and are left out"
    listed = ", ".join(effects[:-1]) + (" or " if len(effects) > 1 else "") + effects[-1]
    if all(fit["p_value"] >= 0.05 for fit in fits.values()):
        out = [f"{model}'s correctness does not detectably depend on {listed} ({how})."]
    elif len(effects) == 1:
        out = [f"For {model}, correctness depends on {effects[0]} ({how})."]
    else:
        rest = ", ".join(effects[1:-1]) + (" or " if len(effects) > 2 else "") + effects[-1]
        out = [f"For {model}, correctness depends on {effects[0]} more than on {rest} ({how})."]
    for name, reason in result["dropped"].items():
        out.append(f"{PREDICTORS[name][0].capitalize()} is left out of {model}'s attribution: {reason}.")
    return out


ATTRIBUTION = Entry(
    "attribution", "attribution ({model})",
    "Which clip property a model's correctness depends on: frame spacing in seconds, distinct frames or span.",
    _attribution, needs=(PREDICTIONS, CLIP_FACTS), only_if=(RUN_PREDICTIONS,), protocol="paired", per_model=True,
    tables=("attribution",), json=("statistical_results:paired.per_model.<model>.attribution",),
    finding=_attribution_finding,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Matched evidence: strides compared on clips without padding
# ---------------------------------------------------------------------------------------------------------------
def _matched(ctx, run) -> pd.DataFrame | None:
    result, table = matched_evidence(run.predictions, n_boot=ctx.n_boot, seed=ctx.seed)
    ctx.per_model(run.name)["matched_evidence"] = result
    if table.empty:
        ctx.skip(f"matched evidence ({run.name})",
                 f"no coverage has two strides that keep {result['min_videos']} videos unpadded")  # fmt: skip
        return None
    return table.assign(model=run.name)[["model", *table.columns]]


def _points(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:+.1f}"


def _matched_finding(analysis, model) -> list[str]:
    result = _result(analysis, model, "matched_evidence")
    if result is None or result["headline"] is None:
        return []
    h = result["headline"]
    q = f"Cochran's Q = {h['cochran_q']:.1f}, df {h['cochran_df']}, {format_p(h['cochran_p'], h['cochran_log10_p'])}"
    mcnemar = format_p(h["mcnemar_p"], h["mcnemar_log10_p"])
    return [f"At {h['coverage']:g} % coverage, {model}'s accuracy drop from stride {h['stride_small']} to "
            f"{h['stride_large']} is {_points(h['raw_drop'])} points over all clips "
            f"({h['raw_padded_share_large']:.0%} of the stride-{h['stride_large']} clips padded) and "
            f"{_points(h['drop'])} points (95 % CI {_points(h['drop_low'])} to {_points(h['drop_high'])}; McNemar "
            f"{mcnemar}) on the {h['n_videos']} videos with all {h['clip_len']} distinct frames at every stride "
            f"{h['strides'].replace(' ', ', ')} ({q})."]  # fmt: skip


MATCHED_EVIDENCE = Entry(
    "matched_evidence", "matched evidence ({model})",
    "Whether stride still changes a model's accuracy once no clip is padded (same videos, full distinct frames).",
    _matched, needs=(PREDICTIONS, TWO_STRIDES), only_if=(RUN_PREDICTIONS,), protocol="paired", per_model=True,
    tables=("matched_evidence",), json=("statistical_results:paired.per_model.<model>.matched_evidence",),
    finding=_matched_finding,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Repeated-measures ANOVA over coverage x stride
# ---------------------------------------------------------------------------------------------------------------
EFFECT_NAMES = {"coverage": "coverage", "stride": "stride", "coverage_x_stride": "their interaction"}


def _rm_anova(ctx, run) -> pd.DataFrame | None:
    result = rm_anova(run.predictions)
    ctx.per_model(run.name)["rm_anova"] = result
    if "skipped" in result:
        ctx.skip(f"repeated-measures ANOVA ({run.name})", result["skipped"])
        return None
    rows = [{"model": run.name, "effect": effect, **fit, "n_videos": result["n_videos"]}
            for effect, fit in result["effects"].items()]  # fmt: skip
    return pd.DataFrame(rows)


def _rm_anova_finding(analysis, model) -> list[str]:
    result = _result(analysis, model, "rm_anova")
    if result is None or "skipped" in result:
        return []
    parts = []
    for effect, fit in result["effects"].items():
        f = "n/a" if math.isnan(fit["f_statistic"]) else f"{fit['f_statistic']:.2f}"
        eta = "n/a" if math.isnan(fit["partial_eta_squared"]) else f"{fit['partial_eta_squared']:.3f}"
        parts.append(f"{EFFECT_NAMES[effect]} F({fit['df1']}, {fit['df2']}) = {f}, "
                     f"{p_of(fit)}, partial eta2 = {eta}")  # fmt: skip
    return [f"Repeated-measures ANOVA of {model}'s per-video correctness ({result['n_videos']} videos complete in "
            f"all {len(result['coverages'])} x {len(result['strides'])} cells): {'; '.join(parts)}."]  # fmt: skip


RM_ANOVA = Entry(
    "rm_anova", "repeated-measures ANOVA ({model})",
    "How much coverage, stride and their interaction explain of a model's per-video correctness (video as subject).",
    _rm_anova, needs=(PREDICTIONS, COVERAGE_STRIDE_GRID), only_if=(RUN_PREDICTIONS,), protocol="paired",
    per_model=True, tables=("rm_anova",), json=("statistical_results:paired.per_model.<model>.rm_anova",),
    finding=_rm_anova_finding,
)  # fmt: skip
