"""Paired tests: every model sees the same videos under every variant (per-video outcomes), and the same classes
(per-class accuracies). Within a model: ``cochran_q``, ``pairwise_mcnemar``, ``rm_anova`` (Greenhouse-Geisser
corrected), ``friedman_test`` over ``coverage_blocks``; across models: ``model_mcnemar``, ``logistic_interaction``
(GEE) and ``friedman_test``.

    >>> y = np.array([[1, 2, 4], [2, 3, 7], [1, 1, 3], [3, 5, 6.0]])  # subjects x conditions
    >>> round(greenhouse_geisser(y), 3)
    0.814
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..schema import primary_grid, variant_table
from .accuracy import cluster_ids
from .families import holm
from .pvalues import chi2_log10_p, chi2_p, f_p, log10_of, normal_p, p_fields


MCNEMAR_EXACT_BELOW = 25  # exact binomial McNemar when the discordant pairs number fewer than this


def correctness_matrix(predictions: pd.DataFrame, model: str | None = None) -> pd.DataFrame:
    """Videos x variants of 0/1 correctness for one model; videos missing any variant are dropped."""
    df = predictions if model is None else predictions[predictions["model"] == model]
    order = variant_table(df)["variant"].tolist()
    wide = df.pivot_table(index="video_id", columns="variant", values="correct", aggfunc="first")
    return wide.reindex(columns=order).dropna().astype(int)


def cochran_q(predictions: pd.DataFrame, model: str | None = None) -> dict:
    """Cochran's Q: do the variants differ in accuracy on the same videos? (statsmodels ``cochrans_q``)."""
    from statsmodels.stats.contingency_tables import cochrans_q as _cochrans_q

    matrix = correctness_matrix(predictions, model)
    with np.errstate(divide="ignore", invalid="ignore"):  # every video ties across variants: statistic is nan
        res = _cochrans_q(matrix.to_numpy())
    return {"statistic": float(res.statistic), "df": int(res.df), **p_fields(*chi2_p(res.statistic, res.df)),
            "n": len(matrix)}  # fmt: skip


def mcnemar_counts(b: np.ndarray, c: np.ndarray, exact_below: int = MCNEMAR_EXACT_BELOW) -> pd.DataFrame:
    """McNemar tests from discordant counts ``b`` (first right, second wrong) and ``c`` (the reverse).

    Exact two-sided binomial test when ``b + c < exact_below``, else chi-square with continuity correction;
    p = 1 when there is no discordant pair. ``log10_p`` keeps the size of a chi-square p that underflows.
    """
    b, c = np.asarray(b, float), np.asarray(c, float)
    n = b + c
    exact = n < exact_below
    chi2 = np.where(n > 0, (np.abs(b - c) - 1).clip(min=0) ** 2 / np.where(n > 0, n, 1), 0.0)
    p_chi2 = sps.chi2.sf(chi2, 1)
    p_exact = np.minimum(1.0, 2 * sps.binom.cdf(np.minimum(b, c), n, 0.5))
    p = np.where(n == 0, 1.0, np.where(exact, p_exact, p_chi2))
    log10_p, by_chi2 = log10_of(p), ~exact & (n > 0)
    log10_p[by_chi2] = chi2_log10_p(chi2[by_chi2], 1)
    return pd.DataFrame(
        {
            "b": b.astype(int),
            "c": c.astype(int),
            "test": np.where(exact, "exact", "chi2"),
            "statistic": np.where(exact, np.minimum(b, c), chi2),
            "p_value": p,
            "log10_p": log10_p,
        }
    )


def pairwise_mcnemar(
    predictions: pd.DataFrame, model: str | None = None, exact_below: int = MCNEMAR_EXACT_BELOW, alpha: float = 0.05
) -> pd.DataFrame:
    """McNemar test for every pair of variants of one model, Holm-corrected over the pairs.

    ``b``: videos right under ``variant_a`` and wrong under ``variant_b``; ``c`` the reverse.
    """
    matrix = correctness_matrix(predictions, model)
    x = matrix.to_numpy(float)
    right_wrong = x.T @ (1 - x)  # [a, b]: a right, b wrong
    pairs = list(itertools.combinations(range(x.shape[1]), 2))
    ia, ib = np.array([p[0] for p in pairs], int), np.array([p[1] for p in pairs], int)
    tests = mcnemar_counts(right_wrong[ia, ib], right_wrong[ib, ia], exact_below)
    acc = x.mean(axis=0)
    names = matrix.columns.to_numpy()
    table = pd.DataFrame(
        {"model": model, "variant_a": names[ia], "variant_b": names[ib], "accuracy_a": acc[ia], "accuracy_b": acc[ib]}
    )
    table = pd.concat([table, tests], axis=1)
    table["n"] = len(x)
    table["p_holm"] = holm(table["p_value"])
    table["significant"] = table["p_holm"] < alpha
    return table


def friedman_test(blocks: pd.DataFrame) -> dict:
    """Friedman test on a blocks x treatments table (e.g. classes x coverages of per-class accuracy), with
    Kendall's W = chi2 / (n (k - 1)), mean ranks (1 = best) and Nemenyi and Conover (Holm) post-hoc p-values.
    Blocks with a missing value are dropped."""
    import scikit_posthocs as sp

    data = blocks.dropna()
    n, k = data.shape
    with np.errstate(divide="ignore", invalid="ignore"):  # every block tied throughout: statistic is nan
        res = sps.friedmanchisquare(*[data[col].to_numpy() for col in data.columns])
    ranks = data.rank(axis=1, ascending=False).mean()
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # identical rankings in every block: p-values stay nan/0
        nemenyi = sp.posthoc_nemenyi_friedman(data.to_numpy())
        conover = sp.posthoc_conover_friedman(data.to_numpy(), p_adjust="holm")
    labels = [str(c) for c in data.columns]
    nemenyi.index = nemenyi.columns = conover.index = conover.columns = labels
    return {
        "statistic": float(res.statistic),
        **p_fields(*chi2_p(res.statistic, k - 1)),
        "df": k - 1,
        "n_blocks": n,
        "kendalls_w": float(res.statistic / (n * (k - 1))),
        "mean_ranks": {label: float(r) for label, r in zip(labels, ranks)},
        "nemenyi": nemenyi,
        "conover": conover,
    }


def coverage_blocks(per_class: pd.DataFrame, stride: int | None = None) -> pd.DataFrame:
    """Classes x coverages of per-class accuracy, at one stride or (``stride=None``) averaged over strides."""
    data = per_class if stride is None else per_class[per_class["stride"] == stride]
    return data.pivot_table(index="class", columns="coverage", values="accuracy", aggfunc="mean").sort_index(axis=1)


def model_mcnemar(
    predictions: pd.DataFrame, exact_below: int = MCNEMAR_EXACT_BELOW, alpha: float = 0.05
) -> pd.DataFrame:
    """For every variant and every pair of models: McNemar on the videos both models saw, Holm over all tests.

    ``b``: videos ``model_a`` got right and ``model_b`` wrong; ``c`` the reverse.
    """
    models = list(dict.fromkeys(predictions["model"]))
    wide = predictions.pivot_table(index=["variant", "video_id"], columns="model", values="correct", aggfunc="first")
    rows = []
    for variant, cell in wide.groupby(level="variant", sort=False):
        for a, b in itertools.combinations(models, 2):
            pair = cell[[a, b]].dropna().astype(int)
            right_wrong = int(((pair[a] == 1) & (pair[b] == 0)).sum())
            wrong_right = int(((pair[a] == 0) & (pair[b] == 1)).sum())
            rows.append((variant, a, b, pair[a].mean(), pair[b].mean(), len(pair), right_wrong, wrong_right))
    table = pd.DataFrame(rows, columns=["variant", "model_a", "model_b", "accuracy_a", "accuracy_b", "n", "b", "c"])
    order = variant_table(predictions)["variant"].tolist()
    table = table.sort_values("variant", key=lambda s: s.map({v: i for i, v in enumerate(order)}), kind="stable")
    table = table.reset_index(drop=True)
    tests = mcnemar_counts(table["b"], table["c"], exact_below).drop(columns=["b", "c"])
    table = pd.concat([table, tests], axis=1)
    table["p_holm"] = holm(table["p_value"])
    table["significant"] = table["p_holm"] < alpha
    return table


def logistic_interaction(predictions: pd.DataFrame) -> dict:
    """Does the effect of coverage (or stride) on correctness differ between models?

    GEE logistic regression (binomial, independence working correlation, robust errors clustered by video or
    source group) of ``correct ~ C(model) * (C(coverage) + log2(stride))`` on the coverage x stride grid, with
    joint Wald tests of the model x coverage and model x stride interaction terms.
    """
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    grid = primary_grid(predictions)
    data = pd.DataFrame(
        {
            "correct": grid["correct"].astype(float).to_numpy(),
            "model": grid["model"].astype(str).to_numpy(),
            "coverage": grid["coverage"].astype(float).to_numpy(),
            "log2_stride": np.log2(grid["stride"].astype(float).to_numpy()),
            "cluster": cluster_ids(grid).to_numpy(),
        }
    )
    formula = "correct ~ C(model) * (C(coverage) + log2_stride)"
    model = smf.gee(formula, groups="cluster", data=data, family=sm.families.Binomial())
    fit = model.fit(cov_type="robust")
    names = list(fit.params.index)
    tests = {}
    for key, marker in (("model_x_coverage", "C(coverage)"), ("model_x_stride", "log2_stride")):
        idx = [i for i, name in enumerate(names) if "C(model)" in name and marker in name and ":" in name]
        tests[key] = wald_test(fit.params.to_numpy(), fit.cov_params().to_numpy(), idx)
    table = pd.DataFrame({"coef": fit.params, "se": fit.bse, "z": fit.tvalues, "p_value": fit.pvalues})
    table["log10_p"] = [normal_p(z)[1] for z in fit.tvalues]
    return {"formula": formula, "n_obs": int(fit.nobs), "n_clusters": int(data["cluster"].nunique()),
            "interaction_tests": tests, "coefficients": table}  # fmt: skip


def wald_test(params: np.ndarray, cov: np.ndarray, index: Sequence[int]) -> dict:
    """Joint Wald chi-square test that ``params[index]`` are all zero."""
    index = list(index)
    if not index:
        return {"chi2": math.nan, "df": 0, "p_value": math.nan, "log10_p": math.nan}
    b = params[index]
    v = cov[np.ix_(index, index)]
    chi2 = float(b @ np.linalg.pinv(v) @ b)
    return {"chi2": chi2, "df": len(index), **p_fields(*chi2_p(chi2, len(index)))}


def partial_eta_squared(f: float, df1: float, df2: float) -> float:
    """SS_effect / (SS_effect + SS_error) from an F test: F df1 / (F df1 + df2)."""
    return float(f * df1 / (f * df1 + df2)) if np.isfinite(f) else math.nan


def _contrasts(levels: int) -> np.ndarray:
    """``levels x (levels - 1)`` orthonormal contrasts (columns orthogonal to the constant)."""
    q, _ = np.linalg.qr(np.eye(levels) - 1.0 / levels)
    return q[:, : levels - 1]


def greenhouse_geisser(transformed: np.ndarray, contrasts: np.ndarray | None = None) -> float:
    """Greenhouse-Geisser epsilon of a within-subject effect: ``transformed`` is subjects x conditions, projected on
    ``contrasts`` (default: orthonormal contrasts of its columns); epsilon = tr(S)^2 / (k tr(S^2)) with S the
    covariance of the k contrast scores. 1 = sphericity holds; its floor is 1/k. NaN when the scores do not vary."""
    contrasts = _contrasts(transformed.shape[1]) if contrasts is None else contrasts
    scores = transformed @ contrasts
    cov = np.atleast_2d(np.cov(scores, rowvar=False))
    k = cov.shape[0]
    trace, square = float(np.trace(cov)), float(np.trace(cov @ cov))
    return float(trace**2 / (k * square)) if square > 0 else math.nan


def rm_anova(predictions: pd.DataFrame, model: str | None = None) -> dict:
    """Repeated-measures ANOVA of per-video correctness (0/1) over coverage x stride, video as subject, on the
    videos complete in every cell of the coverage x stride grid.

    The sums of squares of the balanced two-way within-subject design, each effect tested against its
    effect x subject interaction -- the F tests of statsmodels' ``AnovaRM`` (which builds an OLS design with a
    column per subject x cell, too large for thousands of videos), with partial eta^2 = F df1 / (F df1 + df2).
    Each effect's ``p_value`` is Greenhouse-Geisser corrected (its degrees of freedom times ``epsilon``; 0/1
    outcomes rarely meet sphericity); ``p_uncorrected`` is the plain F test.
    """
    df = primary_grid(predictions if model is None else predictions[predictions["model"] == model])
    coverages, strides = sorted(df["coverage"].unique()), sorted(df["stride"].unique())
    wide = df.pivot_table(index="video_id", columns=["coverage", "stride"], values="correct", aggfunc="first")
    wide = wide.reindex(columns=pd.MultiIndex.from_product([coverages, strides]))
    complete = wide.dropna()
    n, a, b = len(complete), len(coverages), len(strides)
    out = {"n_videos": n, "incomplete_videos_dropped": len(wide) - n, "coverages": [float(c) for c in coverages],
           "strides": [int(s) for s in strides], "effects": {}}  # fmt: skip
    if n < 2 or a < 2 or b < 2:
        return {**out, "skipped": "needs at least two complete videos, two coverages and two strides"}
    y = complete.to_numpy(float).reshape(n, a, b)
    m = y.mean()
    m_s, m_a, m_b = y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=(0, 1))
    m_sa, m_sb, m_ab = y.mean(axis=2), y.mean(axis=1), y.mean(axis=0)
    ss = {
        "coverage": n * b * ((m_a - m) ** 2).sum(),
        "stride": n * a * ((m_b - m) ** 2).sum(),
        "coverage_x_stride": n * ((m_ab - m_a[:, None] - m_b[None, :] + m) ** 2).sum(),
    }
    error = {
        "coverage": b * ((m_sa - m_s[:, None] - m_a[None, :] + m) ** 2).sum(),
        "stride": a * ((m_sb - m_s[:, None] - m_b[None, :] + m) ** 2).sum(),
    }
    residual = y - m_sa[:, :, None] - m_sb[:, None, :] - m_ab[None] + m_s[:, None, None]
    error["coverage_x_stride"] = ((residual + m_a[None, :, None] + m_b[None, None, :] - m) ** 2).sum()
    dfs = {"coverage": (a - 1, (a - 1) * (n - 1)), "stride": (b - 1, (b - 1) * (n - 1)),
           "coverage_x_stride": ((a - 1) * (b - 1), (a - 1) * (b - 1) * (n - 1))}  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        epsilon = {
            "coverage": greenhouse_geisser(m_sa),
            "stride": greenhouse_geisser(m_sb),
            "coverage_x_stride": greenhouse_geisser(y.reshape(n, a * b), np.kron(_contrasts(a), _contrasts(b))),
        }
    for effect, (df1, df2) in dfs.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            f = float((ss[effect] / df1) / (error[effect] / df2))
        eps = epsilon[effect]
        corrected = f_p(f, df1 * eps, df2 * eps) if np.isfinite(eps) else (math.nan, math.nan)
        uncorrected = f_p(f, df1, df2)
        out["effects"][effect] = {"f_statistic": f, "df1": df1, "df2": df2, "epsilon": eps,
                                  **p_fields(*corrected), "p_uncorrected": uncorrected[0],
                                  "log10_p_uncorrected": uncorrected[1],
                                  "partial_eta_squared": partial_eta_squared(f, df1, df2),
                                  "ss": float(ss[effect]), "ss_error": float(error[effect])}  # fmt: skip
    return out
