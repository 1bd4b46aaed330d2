"""Families of tests and their correction: every claim of the report rests on a p-value corrected (Holm) within the
family of tests run beside it, and the report lists each family with how many tests it holds.

    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> analysis = Analysis({}, {})
    >>> tests = [{"p_value": 0.01, "log10_p": -2.0}, {"p_value": 0.2, "log10_p": math.log10(0.2)}]
    >>> correct(analysis, "matched stride drops", "McNemar, smallest vs largest unpadded stride", tests)
    >>> [t["significant"] for t in tests], analysis.families["matched stride drops"]["tests"]
    ([True, False], 2)

Holm runs in log space, so a p-value that underflows (``log10_p`` far below -300) keeps its size after correction
(``log10_p_holm``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .entry import Analysis


ALPHA = 0.05


def holm_log10(log10_p: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted log10 p-values (NaNs stay NaN and are not counted)."""
    logs = np.asarray(log10_p, dtype=float)
    out = np.full_like(logs, np.nan)
    ok = np.flatnonzero(~np.isnan(logs))
    if len(ok):
        order = ok[np.argsort(logs[ok], kind="stable")]
        m = len(order)
        adjusted = logs[order] + np.log10(m - np.arange(m))
        out[order] = np.minimum(0.0, np.maximum.accumulate(adjusted))
    return out


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (NaNs stay NaN and are not counted)."""
    with np.errstate(divide="ignore"):
        return 10 ** holm_log10(np.log10(np.asarray(p_values, dtype=float)))


def _log10(record: dict, p_key: str, log_key: str) -> float:
    log10_p = record.get(log_key)
    if log10_p is not None and not math.isnan(log10_p) and math.isfinite(log10_p):
        return float(log10_p)
    p = record.get(p_key)
    if p is None or math.isnan(p):
        return math.nan
    return math.log10(p) if p > 0 else -math.inf


def correct(
    analysis: Analysis,
    family: str,
    what: str,
    records: list[dict],
    p_key: str = "p_value",
    log_key: str = "log10_p",
    prefix: str = "",
) -> None:
    """Holm over the ``records``' p-values (those without one are left out): each record gets ``<prefix>p_holm``,
    ``<prefix>log10_p_holm`` and ``<prefix>significant`` (Holm p < 0.05), and ``analysis.families[family]`` says
    what the family tests, how many tests it holds and how many stay significant."""
    logs = holm_log10([_log10(r, p_key, log_key) for r in records])
    significant = 0
    for record, log10_p in zip(records, logs):
        if math.isnan(log10_p):
            record.update(
                {f"{prefix}p_holm": math.nan, f"{prefix}log10_p_holm": math.nan, f"{prefix}significant": False}
            )
            continue
        record[f"{prefix}p_holm"] = float(10**log10_p)
        record[f"{prefix}log10_p_holm"] = float(log10_p)
        record[f"{prefix}significant"] = bool(10**log10_p < ALPHA)
        significant += record[f"{prefix}significant"]
    tests = int(np.sum(~np.isnan(logs)))
    if tests:
        analysis.families[family] = {
            "what": what,
            "tests": tests,
            "correction": "Holm",
            "alpha": ALPHA,
            "significant": significant,
        }
