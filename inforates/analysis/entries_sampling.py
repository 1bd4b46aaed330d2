"""Registry entries of the paired protocol that take sampling apart, per model: which clip property correctness
depends on (``attribution``), the stride effect with and without padding (``matched_evidence``), and the
repeated-measures ANOVA over coverage x stride (``rm_anova``). Each family is Holm-corrected over the models.
"""

from __future__ import annotations

import math

import pandas as pd

from .attribution import PREDICTORS, VIF_HIGH, attribution, attribution_table
from .families import correct
from .markdown import holm_cell, holm_text, interval, markdown_table, p_of_cell, points, points_interval
from .matched import matched_evidence
from .needs import CLIP_FACTS, COVERAGE_STRIDE_GRID, TWO_STRIDES, per_video_entry
from .paired import rm_anova
from .pvalues import p_cell


def _result(analysis, model: str, key: str) -> dict | None:
    return analysis.per_model(model).get(key)


def _results(analysis, key: str) -> dict[str, dict]:
    return {m: r for m in analysis.models if (r := _result(analysis, m, key)) is not None and "skipped" not in r}


def _records(analysis, key: str, part: str) -> dict[tuple[str, str], dict]:
    """Every model's ``key`` records under ``part``, by (model, record name): predictors, effects, comparisons."""
    out = {}
    for model, result in _results(analysis, key).items():
        records = result[part]
        items = records.items() if isinstance(records, dict) else ((r["label"], r) for r in records)
        out.update({(model, name): record for name, record in items})
    return out


def _into_table(ctx, table_name: str, records: dict, column: str, keys: tuple[str, ...]) -> None:
    """The corrected figures (``keys``) of the records, into the entry's CSV table, row by (model, ``column``)."""
    table = ctx.tables.get(table_name)
    if table is not None:
        for key in keys:
            table[key] = [records.get((m, n), {}).get(key, math.nan) for m, n in zip(table["model"], table[column])]


# ---------------------------------------------------------------------------------------------------------------
# Attribution: spacing, distinct frames, span -- and the folded turn where the motion is known
# ---------------------------------------------------------------------------------------------------------------
SHORT_UNITS = {
    "log2_spacing_seconds": "per doubling",
    "log2_distinct_frames": "per doubling",
    "span_tenths": "per 10 % of the video",
    "folded_turn_tenths": "per 0.1 revolution",
}


def _attribution(ctx, run) -> pd.DataFrame | None:
    result = attribution(run.tested)
    ctx.per_model(run.name)["attribution"] = result
    if "skipped" in result:
        ctx.skip(f"attribution ({run.name})", result["skipped"])
        return None
    return attribution_table(result, run.name)


def _attribution_correct(ctx) -> None:
    fits = _records(ctx.analysis, "attribution", "predictors")
    correct(ctx.analysis, "attribution (GEE)", "each clip property's odds ratio, per model", list(fits.values()))
    _into_table(ctx, "attribution", fits, "predictor", ("p_holm", "significant"))


def _effect(name: str, fit: dict) -> str:
    return (
        f"{fit['label']} (OR {fit['odds_ratio']:.2f} {SHORT_UNITS[name]}, 95 % CI "
        f"{interval(fit['ci_low'], fit['ci_high'], null=1.0, digits=2)}, {holm_text(fit)})"
    )


def _attribution_fragments(analysis, model) -> list[str]:
    result = _result(analysis, model, "attribution")
    if result is None or "skipped" in result:
        return []
    found = [_effect(n, f) for n, f in result["predictors"].items() if f["significant"]]
    return [f"correctness depends on {', '.join(found)} (attribution)"] if found else []


def _attribution_section(analysis, figures) -> list[str]:
    rows, notes = [], []
    for model in analysis.models:
        result = _result(analysis, model, "attribution")
        if result is None or "skipped" in result:
            continue
        for name, fit in result["predictors"].items():
            rows.append(
                {
                    "model": model,
                    "predictor": fit["label"],
                    "odds ratio": fit["odds_ratio"],
                    "95 % CI": interval(fit["ci_low"], fit["ci_high"], null=1.0, digits=2),
                    "unit": SHORT_UNITS[name],
                    "VIF": fit["vif"],
                    "p": p_of_cell(fit),
                    "Holm p": holm_cell(fit),
                }
            )
        if result["collinear"]:
            names = ", ".join(PREDICTORS[n][0] for n in result["collinear"])
            notes.append(
                f"{model}: {names} move together (VIF > {VIF_HIGH:g}): their separate odds ratios are "
                "uncertain and none is said to matter more than another."
            )
        for name, reason in result["dropped"].items():
            notes.append(f"{model}: {PREDICTORS[name][0]} is left out: {reason}.")
    if not rows:
        return []
    return [
        "## What correctness depends on (attribution)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "A GEE logistic model of each clip's correctness on its properties at once (odds ratio per unit, the "
        "others held fixed; clips with one distinct frame have no spacing and are left out). Where the "
        "benchmark knows each video's motion frequency, the folded turn per step -- the aliasing term the "
        "sampling theorem predicts -- joins the model. Holm over every odds ratio of every model. The model "
        "tests each property's effect, not which matters more.",
        "",
        *notes,
        *([""] if notes else []),
    ]


ATTRIBUTION = per_video_entry(
    "attribution", "attribution ({model})",
    "Which clip properties a model's correctness depends on: spacing, distinct frames, span, folded turn.",
    _attribution, CLIP_FACTS, tables=("attribution",), correct=_attribution_correct, section=_attribution_section,
    model_headline=_attribution_fragments, terms=("GEE", "VIF", "folded turn", "Holm"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Matched evidence: the stride contrast with and without padding
# ---------------------------------------------------------------------------------------------------------------
def _matched(ctx, run) -> pd.DataFrame | None:
    result, table = matched_evidence(run.predictions, n_boot=ctx.n_boot, seed=ctx.seed)
    ctx.per_model(run.name)["matched_evidence"] = result
    if table.empty:
        ctx.skip(f"matched evidence ({run.name})", "no coverage has two strides")
        return None
    return table.assign(model=run.name)[["model", *table.columns]]


def _matched_correct(ctx) -> None:
    records = _records(ctx.analysis, "matched_evidence", "comparisons")
    rows = list(records.values())
    correct(
        ctx.analysis,
        "stride, padded (McNemar)",
        "smallest vs largest stride over every clip, per coverage and model",
        rows,
        "padded_mcnemar_p_value",
        "padded_mcnemar_log10_p",
        prefix="padded_",
    )
    matched = [r for r in rows if not r.get("matched_skipped")]
    correct(
        ctx.analysis,
        "stride, matched (McNemar)",
        "smallest vs largest stride on unpadded clips only, per coverage and model",
        matched,
        "matched_mcnemar_p_value",
        "matched_mcnemar_log10_p",
        prefix="matched_",
    )
    _into_table(
        ctx,
        "matched_evidence",
        records,
        "label",
        ("padded_p_holm", "padded_significant", "matched_p_holm", "matched_significant"),
    )


def _matched_fragments(analysis, model) -> list[str]:
    result = _result(analysis, model, "matched_evidence")
    if result is None:
        return []
    out = []
    for r in result["comparisons"]:
        if r.get("matched_significant"):
            out.append(
                f"at {r['label']} % coverage, stride {r['matched_stride_small']} -> "
                f"{r['matched_stride_large']} changes accuracy by {points(-r['matched_drop'])} points on "
                f"unpadded clips ({holm_text(r, 'matched_')})"
            )
        elif r.get("padded_significant") and r["padded_padded_share_large"] > 0:
            without = (
                "no unpadded comparison is possible there"
                if r.get("matched_skipped")
                else "not detectably without padding"
            )
            out.append(
                f"at {r['label']} % coverage, stride {r['padded_stride_small']} -> {r['padded_stride_large']} "
                f"changes accuracy by {points(-r['padded_drop'])} points where "
                f"{r['padded_padded_share_large']:.0%} of the clips pad ({holm_text(r, 'padded_')}); "
                f"{without}"
            )
    return out


def _matched_section(analysis, figures) -> list[str]:
    rows = []
    for model, result in _results(analysis, "matched_evidence").items():
        for r in result["comparisons"]:
            skipped = bool(r.get("matched_skipped"))
            rows.append(
                {
                    "model": model,
                    "coverage %": r["label"],
                    "padded strides": f"{r['padded_stride_small']} vs {r['padded_stride_large']}",
                    "padded drop": points(r["padded_drop"]),
                    "padded CI": points_interval(r["padded_drop_low"], r["padded_drop_high"]),
                    "clips padded": f"{r['padded_padded_share_large']:.0%}",
                    "padded Holm p": holm_cell(r, "padded_"),
                    "matched strides": "-"
                    if skipped
                    else f"{r['matched_stride_small']} vs {r['matched_stride_large']}",
                    "matched drop": "-" if skipped else points(r["matched_drop"]),
                    "matched CI": "-" if skipped else points_interval(r["matched_drop_low"], r["matched_drop_high"]),
                    "matched videos": "-" if skipped else r["matched_n_videos"],
                    "matched Holm p": "-" if skipped else holm_cell(r, "matched_"),
                }
            )
    if not rows:
        return []
    return [
        "## Stride with and without padding (matched evidence)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "Drop (points, with its 95 % CI): accuracy at the smaller stride minus at the larger, on the same "
        "videos (positive: lost at the larger stride). *Padded*: the grid's smallest vs largest stride over "
        "every clip, as the 2025 study "
        "read it, with the share of the larger stride's clips that pad. *Matched*: the smallest vs the largest "
        "stride that keeps enough videos unpadded, on those videos only (`-`: fewer than two such strides). A "
        "padded drop that vanishes when matched was padding, not stride. McNemar p-values, Holm within each "
        "kind over every coverage and model; every figure in `matched_evidence.csv`.",
        "",
    ]


MATCHED_EVIDENCE = per_video_entry(
    "matched_evidence", "matched evidence ({model})",
    "Whether stride changes a model's accuracy over every clip and once no clip is padded, at every coverage.",
    _matched, TWO_STRIDES, tables=("matched_evidence",), correct=_matched_correct, section=_matched_section,
    model_headline=_matched_fragments, terms=("matched", "pad", "McNemar", "Holm"),
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Repeated-measures ANOVA over coverage x stride
# ---------------------------------------------------------------------------------------------------------------
EFFECT_NAMES = {"coverage": "coverage", "stride": "stride", "coverage_x_stride": "their interaction"}
EFFECT_NAME_ALONE = {
    "coverage": "coverage",
    "stride": "stride",
    "coverage_x_stride": "the coverage x stride interaction",
}


def _rm_anova(ctx, run) -> pd.DataFrame | None:
    result = rm_anova(run.predictions)
    ctx.per_model(run.name)["rm_anova"] = result
    if "skipped" in result:
        ctx.skip(f"repeated-measures ANOVA ({run.name})", result["skipped"])
        return None
    rows = [
        {"model": run.name, "effect": effect, **fit, "n_videos": result["n_videos"]}
        for effect, fit in result["effects"].items()
    ]
    return pd.DataFrame(rows)


def _rm_anova_correct(ctx) -> None:
    fits = _records(ctx.analysis, "rm_anova", "effects")
    correct(
        ctx.analysis,
        "coverage and stride (rm-ANOVA)",
        "coverage, stride and their interaction per model, Greenhouse-Geisser corrected",
        list(fits.values()),
    )
    _into_table(ctx, "rm_anova", fits, "effect", ("p_holm", "significant"))


def _rm_anova_fragments(analysis, model) -> list[str]:
    result = _result(analysis, model, "rm_anova")
    if result is None or "skipped" in result:
        return []
    found = [(e, f) for e, f in result["effects"].items() if f["significant"]]
    if not found:
        return []
    names = [EFFECT_NAMES[e] if len(found) > 1 else EFFECT_NAME_ALONE[e] for e, _ in found]
    names = " and ".join(", ".join(names).rsplit(", ", 1))
    worst = max(f["p_holm"] for _, f in found)
    etas = sorted(f"{f['partial_eta_squared']:.3f}" for _, f in found)
    eta = etas[0] if etas[0] == etas[-1] else f"{etas[0]}-{etas[-1]}"
    verb = "change" if len(found) > 1 else "changes"
    return [
        f"{names} {verb} correctness (rm-ANOVA, Greenhouse-Geisser, Holm p {'<=' if len(found) > 1 else '='} "
        f"{p_cell(worst)}, partial eta2 {eta})"
    ]


def _rm_anova_section(analysis, figures) -> list[str]:
    rows = []
    for model, result in _results(analysis, "rm_anova").items():
        for effect, f in result["effects"].items():
            rows.append(
                {
                    "model": model,
                    "effect": EFFECT_NAMES[effect],
                    "F": f["f_statistic"],
                    "df": f"{f['df1']}, {f['df2']}",
                    "epsilon": f["epsilon"],
                    "p (GG)": p_of_cell(f),
                    "Holm p": holm_cell(f),
                    "p uncorrected": p_cell(f["p_uncorrected"], f["log10_p_uncorrected"]),
                    "partial eta2": f["partial_eta_squared"],
                    "videos": result["n_videos"],
                }
            )
    if not rows:
        return []
    return [
        "## Coverage, stride and their interaction (repeated-measures ANOVA)",
        "",
        markdown_table(pd.DataFrame(rows)),
        "",
        "Each video's correctness (0/1) in every cell of the coverage x stride grid, the video as subject. "
        "0/1 outcomes rarely meet sphericity, so each F test's degrees of freedom are multiplied by its "
        "Greenhouse-Geisser epsilon (`p (GG)`, the test the report uses; the uncorrected p beside it). Holm "
        "over every effect of every model. Read partial eta2 for the size.",
        "",
    ]


RM_ANOVA = per_video_entry(
    "rm_anova", "repeated-measures ANOVA ({model})",
    "How much coverage, stride and their interaction explain of a model's per-video correctness (video as subject).",
    _rm_anova, COVERAGE_STRIDE_GRID, tables=("rm_anova",), correct=_rm_anova_correct, section=_rm_anova_section,
    model_headline=_rm_anova_fragments, terms=("rm-ANOVA", "Greenhouse-Geisser", "partial eta2", "Holm"),
)  # fmt: skip
