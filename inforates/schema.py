"""The result schema, in one place: the columns of every result file, the Wilson interval, the 2025 study's file
names, and the builders of the derived tables (used by evaluation when it writes them and by the analysis when it
reads predictions back). Pure numpy/pandas/scipy: no model, no files.

    >>> lo, hi = wilson_interval(80, 100)
    >>> round(lo, 4), round(hi, 4)
    (0.7112, 0.8666)

Files (docs/design.md): ``predictions.parquet`` (:data:`PREDICTION_COLUMNS`, one row per video x variant;
``views``, the distinct views averaged, is absent from files of older versions: read it as 1),
``views.parquet`` (:data:`VIEW_COLUMNS`, written only with several views per cell),
``results.csv`` (:data:`RESULT_COLUMNS`, one row per variant), ``per_class.csv`` (:data:`PER_CLASS_COLUMNS`) and
``skipped.csv`` (:data:`SKIPPED_COLUMNS`); the 2025 study's ``<model>_temporal_sampling.csv`` (at least
:data:`REFERENCE_RESULTS_COLUMNS`) and ``<model>_per_class.csv``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .metrics.accuracy import mean_class_accuracy
from .sampling import same_frames_as


PREDICTION_COLUMNS = [
    "model", "video_id", "path", "label", "class_name", "group", "variant", "sampler", "coverage", "stride",
    "budget", "spacing_unit", "anchor", "prefilter", "resolution", "pred", "pred_class", "correct", "top5", "p_true", "clip_len",
    "frames", "too_short", "distinct_frames", "span_frames", "span_seconds", "median_spacing", "fps", "total_frames",
    "f_hz", "f_hz_est", "source_video", "segment_start", "views",
]  # fmt: skip
# Columns newer than some result files, with the value they had before they existed (filled in when read).
LATER_COLUMNS = {"prefilter": "none", "resolution": 0, "f_hz_est": float("nan")}
# views.parquet (multi-view testing): one row per distinct view of a video x cell, plus its single-view clip.
VIEW_COLUMNS = [
    "model", "video_id", "variant", "clip", "crop", "frames", "pred", "correct", "p_true", "averaged", "single_view",
]  # fmt: skip
# What each cell really showed (docs/sampling.md "Facts of a cell"), from the indices every video got.
FACT_COLUMNS = [
    "spacing_frames", "spacing_min_frames", "spacing_max_frames", "spacing_seconds", "span_seconds",
    "distinct_frames", "padded_share", "too_short", "same_frames_as",
]  # fmt: skip
RESULT_COLUMNS = [
    "model", "variant", "sampler", "coverage", "stride", "budget", "spacing_unit", "anchor", "prefilter", "resolution",
    "accuracy",
    "correct", "total", "ci_low", "ci_high", "top5", "mean_class_accuracy", *FACT_COLUMNS, "clips_per_s", "avg_time",
]  # fmt: skip
PER_CLASS_COLUMNS = ["class", "coverage", "stride", "accuracy", "n_samples"]
SKIPPED_COLUMNS = ["path", "stage", "reason"]
# a cell; resolution 0: the model's own input size
GRID_COLUMNS = [
    "variant",
    "sampler",
    "coverage",
    "stride",
    "budget",
    "spacing_unit",
    "anchor",
    "prefilter",
    "resolution",
]

# The 2025 study's tables: <model>_temporal_sampling.csv and <model>_per_class.csv (PER_CLASS_COLUMNS).
REFERENCE_RESULTS_SUFFIX = "_temporal_sampling.csv"
REFERENCE_PER_CLASS_SUFFIX = "_per_class.csv"
REFERENCE_RESULTS_COLUMNS = ["coverage", "stride", "accuracy", "correct", "total"]


def wilson_interval(correct: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``correct / total``; ``(nan, nan)`` when ``total == 0``."""
    if total <= 0:
        return (math.nan, math.nan)
    if not 0 <= correct <= total:
        raise ValueError(f"correct must be in [0, total], got correct={correct}, total={total}")
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    p = correct / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == total else min(1.0, centre + half)
    return (low, high)


def add_wilson_columns(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """``ci_low``/``ci_high`` from the table's ``correct`` and ``total`` columns (in place; returned)."""
    ci = [wilson_interval(int(c), int(t), confidence) for c, t in zip(table["correct"], table["total"])]
    table["ci_low"], table["ci_high"] = [c[0] for c in ci], [c[1] for c in ci]
    return table


def with_later_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every :data:`LATER_COLUMNS` column it lacks (a file written before it existed)."""
    missing = {column: value for column, value in LATER_COLUMNS.items() if column not in table.columns}
    return table.assign(**missing) if missing else table


def split_prefilters(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(point-sampled rows, prefiltered rows)`` at the model's own resolution: the cells without a temporal
    prefilter (those of the first prefilter when every cell has one) and the others. The report's grids and tests
    read the first; the anti-aliasing comparison both. Reduced-resolution cells are in neither
    (:func:`split_resolutions`)."""
    if table.empty:
        return table, table.iloc[:0]
    native = table["resolution"] == 0 if "resolution" in table.columns else pd.Series(True, index=table.index)
    if "prefilter" not in table.columns:
        return table[native], table.iloc[:0]
    mine = table["prefilter"] == _primary_prefilter(table)
    return table[mine & native], table[~mine & native]


def split_resolutions(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the reduced-resolution cells (``resolution`` > 0), of the primary prefilter
    (:func:`split_prefilters`); empty when there are none."""
    if "resolution" not in table.columns or table.empty:
        return table.iloc[:0]
    resized = table[table["resolution"] > 0]
    if "prefilter" in table.columns and len(resized):
        resized = resized[resized["prefilter"] == _primary_prefilter(table)]
    return resized


def _primary_prefilter(table: pd.DataFrame) -> str:
    """The prefilter the report's grids read: ``none`` (point sampling) where present, else the first."""
    return "none" if (table["prefilter"] == "none").any() else table["prefilter"].iloc[0]


def primary_grid(predictions: pd.DataFrame) -> pd.DataFrame:
    """The coverage x stride grid: rows of one sampler/anchor (``coverage_stride``/``start`` when present, else
    the most frequent pair) and one prefilter (:func:`split_prefilters`). Tables without sampler/anchor columns
    are returned unchanged."""
    if not {"sampler", "anchor"} <= set(predictions.columns):
        return predictions
    predictions = split_prefilters(predictions)[0]
    pairs = predictions.groupby(["sampler", "anchor"]).size().sort_values(ascending=False)
    pair = ("coverage_stride", "start") if ("coverage_stride", "start") in pairs.index else pairs.index[0]
    return predictions[(predictions["sampler"] == pair[0]) & (predictions["anchor"] == pair[1])]


def variant_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Unique variants with their grid columns, ordered by sampler, anchor, coverage, budget, stride."""
    cols = [c for c in GRID_COLUMNS if c in predictions.columns]
    table = predictions[cols].drop_duplicates("variant")
    order = [c for c in ("sampler", "anchor", "prefilter", "resolution", "coverage", "budget", "stride") if c in cols]
    return table.sort_values(order).reset_index(drop=True)


def scored(predictions: pd.DataFrame) -> pd.DataFrame:
    """The rows that were scored: without those of videos too short for their cell (``too_short``)."""
    if "too_short" not in predictions.columns or not predictions["too_short"].any():
        return predictions
    return predictions[~predictions["too_short"].astype(bool)]


def cell_facts(predictions: pd.DataFrame, keys: Sequence[str] = ("variant",)) -> pd.DataFrame:
    """:data:`FACT_COLUMNS` per cell (``keys``), from every video's clip: ``spacing_frames``/``spacing_seconds``
    the median over videos of each clip's median spacing of distinct frames, ``spacing_min_frames`` /
    ``spacing_max_frames`` the median over videos of each clip's smallest / largest spacing (they differ from the
    median where a cell's spacing varies: ``motion_uniform``, padding), ``span_seconds`` the median span,
    ``distinct_frames`` the mean, ``padded_share`` the share of clips with fewer distinct frames than
    ``clip_len``, ``too_short`` the videos left out of the cell, ``same_frames_as`` the first earlier cell (in
    table order, per model) that gave every video exactly the same indices. Facts a table cannot tell (no
    ``clip_len``, no ``frames``: files of older versions) are NaN / empty."""
    keys = list(keys)
    data = predictions.assign(
        **{c: np.nan for c in ("median_spacing", "fps", "span_seconds", "distinct_frames") if c not in predictions}
    )
    data = data.assign(
        spacing_seconds=data["median_spacing"] / data["fps"],
        too_short=data["too_short"].astype(bool) if "too_short" in data else False,
        padded=(data["distinct_frames"] < data["clip_len"]) if "clip_len" in data else np.nan,
    )
    ok = data[~data["too_short"]]
    facts = pd.DataFrame({"too_short": data.groupby(keys, sort=False)["too_short"].sum().astype("int64")})
    good = ok.groupby(keys, sort=False)
    facts["spacing_frames"] = good["median_spacing"].median()
    if "frames" in ok:
        gaps = ok["frames"].map(_gap_range)
        ranges = pd.DataFrame(gaps.tolist(), index=ok.index, columns=["low", "high"]).groupby(
            [ok[k] for k in keys], sort=False
        )
        facts["spacing_min_frames"], facts["spacing_max_frames"] = ranges["low"].median(), ranges["high"].median()
    else:
        facts["spacing_min_frames"] = facts["spacing_max_frames"] = np.nan
    facts["spacing_seconds"] = good["spacing_seconds"].median()
    facts["span_seconds"] = good["span_seconds"].median()
    facts["distinct_frames"] = good["distinct_frames"].mean()
    facts["padded_share"] = good["padded"].mean()
    facts["same_frames_as"] = ""
    if "frames" in data:
        per_model = [keys.index("model")] if "model" in keys else []
        by_model: dict = {}
        for key, cell in data.sort_values("video_id", kind="stable").groupby(keys, sort=False):
            key = key if isinstance(key, tuple) else (key,)
            by_model.setdefault(tuple(key[i] for i in per_model), {})[key] = list(
                cell["video_id"] + ":" + cell["frames"]
            )
        for cells_of_model in by_model.values():
            names = same_frames_as(cells_of_model)
            for key, alias in names.items():
                if alias:
                    facts.loc[key if len(keys) > 1 else key[0], "same_frames_as"] = alias[keys.index("variant")]
    return facts[FACT_COLUMNS]


def _gap_range(frames: str) -> tuple[float, float]:
    """The smallest and largest gap between a clip's consecutive distinct frames (``"0 0 4 10"``: 4, 6)."""
    distinct = np.unique(np.array(str(frames).split(), dtype=np.int64))
    if distinct.size < 2:
        return math.nan, math.nan
    gaps = np.diff(distinct)
    return float(gaps.min()), float(gaps.max())


def _coverage_column(values: pd.Series) -> pd.Series:
    """Whole-number coverages as integers (the 2025 files write ``10``, not ``10.0``)."""
    return values.astype("int64") if (values % 1 == 0).all() else values


def _variant_frame(variants: Sequence) -> pd.DataFrame:
    """The grid columns of ``variants`` (objects with name, sampler, coverage, stride, anchor), in grid order."""
    return pd.DataFrame(
        {
            "variant": [v.name for v in variants],
            "sampler": [v.sampler for v in variants],
            "coverage": [float(v.coverage) for v in variants],
            "stride": [v.stride for v in variants],
            "budget": [v.budget or 0 for v in variants],  # 0: the sampler has no budget
            "spacing_unit": [v.spacing_unit for v in variants],
            "anchor": [v.anchor for v in variants],
            "prefilter": [v.prefilter for v in variants],
            "resolution": [v.resolution or 0 for v in variants],  # 0: the model's own input size
        }
    )


def results_table(
    predictions: pd.DataFrame,
    variants: Sequence | None = None,
    model: str | None = None,
    clips_per_s: float = math.nan,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Accuracy per variant with its Wilson interval, from per-video predictions.

    With ``variants`` (evaluation writing ``results.csv``; one model's predictions with ``top5``, ``label`` and
    ``forward_s``): :data:`RESULT_COLUMNS`, one row per variant in grid order (empty cells 0/0 with NaNs), with
    top-5, mean class accuracy, ``clips_per_s`` (the run's end-to-end throughput) and ``avg_time`` (model forward
    seconds per clip). Without (the analysis reading predictions back): one row per (model, variant) found, with
    the grid columns present, ``correct``, ``total``, ``accuracy``, ``ci_low`` and ``ci_high``.
    """
    keys = ["variant"] if variants is not None else ["model", *variant_table(predictions).columns]
    facts = cell_facts(predictions, keys)
    everything, predictions = predictions, scored(predictions)
    cells = predictions.groupby(keys, sort=False, dropna=False)
    table = cells["correct"].agg(correct="sum", total="size").reset_index()
    if variants is None:
        key_frame = everything[keys].drop_duplicates()
        table = key_frame.merge(table, on=keys, how="left").fillna({"correct": 0, "total": 0})
        table[["correct", "total"]] = table[["correct", "total"]].astype("int64")
        with np.errstate(invalid="ignore", divide="ignore"):
            table["accuracy"] = table["correct"] / table["total"].where(table["total"] > 0, np.nan)
        add_wilson_columns(table, confidence)
        return table.merge(facts.reset_index(), on=keys, how="left")
    extra = pd.DataFrame(
        {
            "top5": cells["top5"].mean(),
            "avg_time": cells["forward_s"].mean(),
            "mean_class_accuracy": pd.Series(
                {v: mean_class_accuracy(c["correct"], c["label"]) for v, c in predictions.groupby("variant")},
                dtype=float,
            ),
        }
    )
    grid = _variant_frame(variants)
    counts = table.set_index("variant").reindex(grid["variant"], fill_value=0).astype("int64")
    extra = extra.reindex(grid["variant"])
    out = grid.assign(model=model, correct=counts["correct"].to_numpy(), total=counts["total"].to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        out["accuracy"] = out["correct"] / out["total"].where(out["total"] > 0, np.nan)
    add_wilson_columns(out, confidence)
    out["top5"] = extra["top5"].to_numpy(float)
    out["mean_class_accuracy"] = extra["mean_class_accuracy"].to_numpy(float)
    facts = facts.reindex(grid["variant"])
    for column in FACT_COLUMNS:
        out[column] = facts[column].to_numpy()
    out["too_short"] = out["too_short"].fillna(0).astype("int64")
    out["same_frames_as"] = out["same_frames_as"].fillna("")
    out["clips_per_s"] = float(clips_per_s)
    out["avg_time"] = extra["avg_time"].to_numpy(float)
    out = out[RESULT_COLUMNS]
    out["coverage"] = _coverage_column(out["coverage"])
    return out


def per_class_table(
    predictions: pd.DataFrame, variants: Sequence | None = None, class_names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per-class accuracy and ``n_samples`` per variant, from per-video predictions.

    With ``variants`` and ``class_names`` (evaluation writing ``per_class.csv``): :data:`PER_CLASS_COLUMNS` per
    variant (grid order), per class with videos (label order), named ``class_names[label]``. Without (the
    analysis): the primary coverage x stride grid (:func:`primary_grid`) of any number of models, ``model`` first,
    classes named by ``class_name``, sorted by model, class, coverage, stride.
    """
    predictions = scored(predictions)
    data, keys = (predictions, ["variant", "label"]) if variants is not None else (
        primary_grid(predictions), ["model", "class_name", "coverage", "stride"]
    )  # fmt: skip
    cells = data.groupby(keys, sort=True)["correct"].agg(accuracy="mean", n_samples="size").reset_index()
    if variants is None:
        return cells.rename(columns={"class_name": "class"})
    order = {v.name: i for i, v in enumerate(variants)}
    cells = cells.assign(order=cells["variant"].map(order)).sort_values(["order", "label"], kind="stable")
    by_name = {v.name: v for v in variants}
    table = pd.DataFrame(
        {
            "class": [class_names[int(label)] for label in cells["label"]],
            "coverage": [float(by_name[name].coverage) for name in cells["variant"]],
            "stride": [int(by_name[name].stride) for name in cells["variant"]],
            "accuracy": cells["accuracy"].astype(float).to_numpy(),
            "n_samples": cells["n_samples"].astype("int64").to_numpy(),
        },
        columns=PER_CLASS_COLUMNS,
    )
    table["coverage"] = _coverage_column(table["coverage"])
    return table
