"""How the report writes numbers: tables, intervals at honest precision, differences in points.

>>> print(markdown_table(pd.DataFrame({"model": ["a"], "accuracy": [0.91234]})))
| model | accuracy |
| --- | --- |
| a | 0.912 |
>>> interval(0.9181, 0.99962, null=1.0)  # never rounded onto the value it is tested against
'0.9181-0.9996'
>>> interval(-0.0312, 0.1, null=0.0), interval(0.4, 0.6)
('-0.031 to 0.100', '0.400-0.600')
>>> points(-0.1389)
'-13.9'
"""

from __future__ import annotations

import math

import pandas as pd

from .pvalues import format_p, p_cell


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 3) -> str:
    """A float with ``digits`` decimals; '' for a missing value; anything else as text."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def markdown_table(df: pd.DataFrame, p_columns=()) -> str:
    """A GitHub-flavoured Markdown table; floats with three decimals, p-values (``p_columns``) as
    :func:`~inforates.analysis.pvalues.p_cell` writes them (``2.3e-06`` below 0.001, ``>0.999``, never ``0.000``)."""
    lines = ["| " + " | ".join(str(c) for c in df.columns) + " |", "| " + " | ".join("---" for _ in df.columns) + " |"]
    is_p = [c in p_columns for c in df.columns]
    for row in df.itertuples(index=False):
        cells = (p_cell(v) if p and isinstance(v, float) else number(v) for v, p in zip(row, is_p))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def interval(low: float, high: float, null: float | None = None, digits: int = 3) -> str:
    """``low-high`` (``low to high`` when either is negative) with the fewest decimals from ``digits`` up that
    keep the two bounds apart and neither rounded onto ``null`` (the value a test compares with, e.g. 1 for an odds
    ratio) unless it is that value."""
    if missing(low) or missing(high):
        return "n/a"
    for places in range(digits, 9):
        lo, hi = round(low, places), round(high, places)
        onto_null = null is not None and ((lo == null) != (low == null) or (hi == null) != (high == null))
        if (lo != hi or low == high) and not onto_null:
            break
    sep = " to " if min(low, high) < 0 else "-"
    return f"{low:.{places}f}{sep}{high:.{places}f}"


def points(value: float) -> str:
    """An accuracy difference in percentage points, signed: ``+4.2``, ``-13.9``; ``n/a`` when missing."""
    return "n/a" if missing(value) else f"{100 * value:+.1f}"


def points_interval(low: float, high: float) -> str:
    """A difference's interval in signed points, never rounded onto 0: ``-9.7 to +3.5``, ``+0.04 to +13.9``.

    >>> points_interval(-0.097, 0.035), points_interval(0.0004, 0.139)
    ('-9.7 to +3.5', '+0.04 to +13.90')
    """
    if missing(low) or missing(high):
        return "n/a"
    text = interval(100 * low, 100 * high, null=0.0, digits=1)
    lo, hi = text.split(" to ") if " to " in text else text.split("-", 1)
    return " to ".join(v if v.startswith("-") else f"+{v}" for v in (lo, hi))


def p_of_cell(test: dict, prefix: str = "") -> str:
    """A stored test's p-value as a table cell (its ``<prefix>p_value`` and ``<prefix>log10_p``)."""
    return p_cell(test.get(f"{prefix}p_value"), test.get(f"{prefix}log10_p"))


def holm_cell(test: dict, prefix: str = "") -> str:
    """A test's Holm-corrected p-value (``<prefix>p_holm``, from :func:`~inforates.analysis.families.correct`) as a
    table cell."""
    return p_cell(test.get(f"{prefix}p_holm"), test.get(f"{prefix}log10_p_holm"))


def holm_text(record: dict, prefix: str = "") -> str:
    """``Holm p = 0.006`` from a record corrected by :func:`~inforates.analysis.families.correct`."""
    return "Holm " + format_p(record.get(f"{prefix}p_holm"), record.get(f"{prefix}log10_p_holm"))
