"""The synthetic benchmark's check: does direction accuracy collapse past the Nyquist limit, as the aliasing rule
(:mod:`inforates.aliasing`) predicts for a rotation of known frequency ``f_hz``?
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from ..aliasing import aliasing_x, direction_of, frac


def _direction_correct(predictions: pd.DataFrame) -> pd.Series:
    true_dir, pred_dir = direction_of(predictions["class_name"]), direction_of(predictions["pred_class"])
    return pd.Series((pred_dir == true_dir) & (true_dir != ""), index=predictions.index)


def aliasing_table(predictions: pd.DataFrame, min_distinct: int = 3) -> pd.DataFrame:
    """Rows with a known motion frequency and at least ``min_distinct`` frames, with ``x = f * spacing / fps``
    (cycles per sampled step), ``frac_x`` and ``direction_correct``."""
    df = predictions
    keep = df["f_hz"].notna() & df["median_spacing"].notna() & (df["distinct_frames"] >= min_distinct)
    df = df[keep]
    x = aliasing_x(df["f_hz"].to_numpy(float), df["median_spacing"].to_numpy(float), df["fps"].to_numpy(float))
    return pd.DataFrame(
        {
            "model": df["model"].to_numpy(),
            "x": x,
            "frac_x": frac(x),
            "direction_correct": _direction_correct(df).to_numpy(),
        }
    )


def direction_accuracy(predictions: pd.DataFrame) -> pd.Series:
    """Per model, the share of predictions whose direction (``cw``/``ccw`` suffix) matches the true one."""
    correct = _direction_correct(predictions)
    return correct.groupby(predictions["model"], sort=False).mean().rename("direction_accuracy")


def nyquist_check(
    predictions_df: pd.DataFrame,
    min_distinct: int = 3,
    below: float = 0.4,
    above: tuple[float, float] = (0.6, 0.9),
    min_below_accuracy: float = 0.85,
    max_above_accuracy: float = 0.25,
    exclude: Mapping[str, str] | None = None,
) -> dict:
    """Does direction accuracy collapse past the Nyquist limit? Pooled over models and variants, on clips with
    ``>= min_distinct`` distinct frames: direction accuracy where ``frac(x) < below`` (should be high) and where
    ``above[0] < frac(x) < above[1]`` (the apparent rotation reverses: should be low); PASS iff the first is
    ``>= min_below_accuracy`` and the second ``<= max_above_accuracy``. ``exclude`` maps models left out of the
    pool to the reason (e.g. a model that does not see the rotation at all, judged on the validation split).
    """
    exclude = dict(exclude or {})
    predictions_df = predictions_df[~predictions_df["model"].isin(list(exclude))]
    table = aliasing_table(predictions_df, min_distinct)
    low = table[table["frac_x"] < below]
    high = table[(table["frac_x"] > above[0]) & (table["frac_x"] < above[1])]
    acc_low = float(low["direction_correct"].mean()) if len(low) else math.nan
    acc_high = float(high["direction_correct"].mean()) if len(high) else math.nan
    passed = bool(len(low) and len(high) and acc_low >= min_below_accuracy and acc_high <= max_above_accuracy)
    return {
        "below_nyquist_accuracy": acc_low,
        "below_nyquist_n": len(low),
        "above_nyquist_accuracy": acc_high,
        "above_nyquist_n": len(high),
        "thresholds": {
            "below": below,
            "above": list(above),
            "min_below_accuracy": min_below_accuracy,
            "max_above_accuracy": max_above_accuracy,
            "min_distinct": min_distinct,
        },  # fmt: skip
        "models": list(pd.unique(predictions_df["model"])),
        "excluded": exclude,
        "passed": passed,
        "verdict": "PASS" if passed else "FAIL",
    }
