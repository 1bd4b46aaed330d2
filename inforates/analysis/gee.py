"""The one GEE logistic fit of the analysis: binomial, exchangeable within clusters (videos, or source groups),
robust standard errors, with the ways such a fit fails said in one line.

    fit = fit_logistic_gee(outcome, exog, clusters, separation="the outcome is determined by the side of the limit")
    if isinstance(fit, str): ...                  # why it was not fitted
    params, bse = fit.params, fit.bse             # fit.working_correlation: the exchangeable correlation
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd


class GeeFit(NamedTuple):
    params: np.ndarray
    bse: np.ndarray
    working_correlation: float


def fit_logistic_gee(outcome, exog: np.ndarray, clusters, separation: str) -> GeeFit | str:
    """The :class:`GeeFit` of ``outcome ~ exog`` (``exog`` with its constant column), or the reason it cannot be
    trusted: the fit failed, ``separation`` (perfect separation, or standard errors that are not positive and
    finite), or it did not converge."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    model = sm.GEE(np.asarray(outcome, float), exog, groups=pd.factorize(np.asarray(clusters))[0],
                   family=sm.families.Binomial(), cov_struct=sm.cov_struct.Exchangeable())  # fmt: skip
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            fit = model.fit()
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError) as err:
            return f"GEE fit failed: {err}"
        params, bse = np.asarray(fit.params, float), np.asarray(fit.bse, float)
    finite = np.isfinite(params).all() and np.isfinite(bse).all() and (bse > 0).all()
    if any(issubclass(w.category, PerfectSeparationWarning) for w in caught) or not finite:
        return separation
    if not fit.converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return "GEE did not converge"
    return GeeFit(params, bse, float(np.atleast_1d(model.cov_struct.dep_params)[0]))
