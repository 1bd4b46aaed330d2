"""P-values that keep their size when they underflow, and read well in the report.

A chi-square, F or normal tail far out (Cochran's Q on a large simulation, a rm-ANOVA over thousands of videos)
is smaller than the smallest double: scipy's ``sf`` returns 0.0 and its ``logsf`` -inf. Every stored test
therefore carries ``log10_p`` next to ``p_value``: log10 of the tail probability, computed from the
distribution's continued fraction in log space where the tail underflows (``chi2_p``, ``f_p``, ``normal_p``).
The report writes p under 0.001 in scientific notation, p over 0.999 as ``p > 0.999`` (never ``1.000``), and
underflows as ``p < 1e-300`` with their log10.

    >>> format_p(2.3e-6), format_p(0.0312), format_p(0.99993), format_p(0.0, log10_p=-1060.7)
    ('p = 2.3e-06', 'p = 0.031', 'p > 0.999', 'p < 1e-300 (log10 p = -1060.7)')
    >>> p, log10_p = chi2_p(5000, 20)
    >>> p, round(log10_p, 1)
    (0.0, -1060.7)
    >>> p_cell(2.3e-6), p_cell(0.0312), p_cell(1.0), p_cell(0.0, -1060.7)
    ('2.3e-06', '0.031', '>0.999', '<1e-300 (log10 -1060.7)')
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from scipy import stats as sps


LN10 = math.log(10)
UNDERFLOW = 1e-300  # below this a p-value is written as "p < 1e-300" with its log10
_DIRECT = 1e-280  # above this, log10(sf) is exact enough; below it the continued fractions take over
_TINY, _EPS, _ITER = 1e-300, 1e-15, 100_000


def _log_gamma_q(a: float, x: float) -> float:
    """ln Q(a, x), the regularised upper incomplete gamma, by its continued fraction (modified Lentz; x > a + 1)."""
    b = x + 1.0 - a
    c, d = 1.0 / _TINY, 1.0 / b
    h = d
    for i in range(1, _ITER):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return -x + a * math.log(x) - math.lgamma(a) + math.log(h)


def _log_beta_i(a: float, b: float, x: float) -> float:
    """ln I_x(a, b), the regularised incomplete beta, by its continued fraction (x < (a + 1) / (a + b + 2))."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (_TINY if abs(d) < _TINY else d)
    h = d
    for m in range(1, _ITER):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (_TINY if abs(d) < _TINY else d)
            c = 1.0 + aa / c
            c = _TINY if abs(c) < _TINY else c
            delta = d * c
            h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return a * math.log(x) + b * math.log1p(-x) - math.log(a) - float(special.betaln(a, b)) + math.log(h)


def _pair(p: float, log_tail) -> tuple[float, float]:
    if not math.isfinite(p):
        return math.nan, math.nan
    if p > _DIRECT:
        return float(p), math.log10(p)
    return float(p), log_tail() / LN10


def chi2_p(statistic: float, df: float) -> tuple[float, float]:
    """Upper tail of chi-square(df) at ``statistic``: ``(p, log10 p)``."""
    statistic, df = float(statistic), float(df)
    if not (math.isfinite(statistic) and df > 0):
        return math.nan, math.nan
    return _pair(sps.chi2.sf(statistic, df), lambda: _log_gamma_q(df / 2, statistic / 2))


def f_p(statistic: float, df1: float, df2: float) -> tuple[float, float]:
    """Upper tail of F(df1, df2) at ``statistic``: ``(p, log10 p)``."""
    statistic, df1, df2 = float(statistic), float(df1), float(df2)
    if not (math.isfinite(statistic) and df1 > 0 and df2 > 0):
        return math.nan, math.nan
    x = df2 / (df2 + df1 * statistic)
    return _pair(sps.f.sf(statistic, df1, df2), lambda: _log_beta_i(df2 / 2, df1 / 2, x))


def normal_p(z: float) -> tuple[float, float]:
    """Two-sided normal tail at ``z``: ``(p, log10 p)`` (scipy's ``logsf`` is exact here)."""
    z = abs(float(z))
    if not math.isfinite(z):
        return math.nan, math.nan
    return float(2 * sps.norm.sf(z)), (math.log(2) + float(sps.norm.logsf(z))) / LN10


def chi2_log10_p(statistics, df) -> np.ndarray:
    """``log10_p`` of many chi-square statistics at once (e.g. a table of McNemar tests)."""
    stat, df = np.broadcast_arrays(np.asarray(statistics, float), np.asarray(df, float))
    return np.array([chi2_p(s, d)[1] for s, d in zip(stat.ravel(), df.ravel())]).reshape(stat.shape)


def log10_of(p_values) -> np.ndarray:
    """log10 of p-values that did not underflow (exact tests: never below 2^-24 here); 0 stays -inf."""
    with np.errstate(divide="ignore"):
        return np.log10(np.asarray(p_values, float))


def p_fields(p: float, log10_p: float) -> dict:
    """The JSON fields of one test's p-value."""
    return {"p_value": float(p), "log10_p": float(log10_p)}


def _missing(p) -> bool:
    return p is None or (isinstance(p, float) and math.isnan(p))


def p_cell(p: float | None, log10_p: float | None = None) -> str:
    """A table cell: ``0.031``, ``2.3e-06`` below 0.001, ``<1e-300 (log10 ...)`` for an underflow."""
    if _missing(p):
        return ""
    if p < UNDERFLOW:
        return "<1e-300" + ("" if _missing(log10_p) or not math.isfinite(log10_p) else f" (log10 {log10_p:.1f})")
    if p > 0.999:
        return ">0.999"
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def format_p(p: float | None, log10_p: float | None = None) -> str:
    """A p-value in a sentence: ``p = 0.031``, ``p = 2.3e-06``, ``p < 1e-300 (log10 p = -1060.7)``."""
    if _missing(p):
        return "p = n/a"
    if p < UNDERFLOW:
        known = not _missing(log10_p) and math.isfinite(log10_p)
        return "p < 1e-300" + (f" (log10 p = {log10_p:.1f})" if known else "")
    if p > 0.999:
        return "p > 0.999"
    return f"p = {p:.1e}" if p < 0.001 else f"p = {p:.3f}"


def p_of(test: dict) -> str:
    """:func:`format_p` of a stored test (its ``p_value`` and ``log10_p``)."""
    return format_p(test.get("p_value"), test.get("log10_p"))
