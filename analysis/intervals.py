"""Confidence intervals for proportions estimated from complex samples.

Array in, array out.  ``method`` is one of ``logit``, ``xlogit`` (alias),
``kg`` (alias ``beta``), ``wilson`` and ``wald``.

References
----------
.. [1] Lumley, T. (2010). *Complex Surveys*. Wiley, Sec. 2.3.1 (``svyciprop``).
.. [2] Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for
   proportions with small expected number of positive counts estimated from
   survey data. *Survey Methodology* 24, 193-201.
.. [3] Dean, N. & Pagano, M. (2015). Evaluating confidence interval methods
   for binomial proportions in clustered surveys. *J. Surv. Stat. Methodol.*
   3, 484-503. (Wilson on the effective sample size)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

Arrays = tuple[np.ndarray, np.ndarray]


def _t(level: float, df: np.ndarray) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    q = 1 - (1 - level) / 2
    return np.where(np.isfinite(df), stats.t.ppf(q, np.where(np.isfinite(df), df, 1)), stats.norm.ppf(q))


def design_n_eff(p: np.ndarray, se: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Effective n = p(1-p)/SE², or ``fallback`` when SE is 0 or p is 0 or 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = p * (1 - p) / se**2
    return np.where(np.isfinite(n) & (n > 0), n, fallback)


def _logit(p, se, df, n, n_eff, level) -> Arrays:
    t = _t(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(p / (1 - p))
        half = t * se / (p * (1 - p))
        lo = 1 / (1 + np.exp(-(centre - half)))
        hi = 1 / (1 + np.exp(-(centre + half)))
    return lo, hi


def _kg(p, se, df, n, n_eff, level) -> Arrays:
    alpha = 1 - level
    df_n = np.where(np.isfinite(df), df, np.inf)
    ratio = (_t(level, np.maximum(n - 1, 1)) / _t(level, df_n)) ** 2
    ne = n_eff * ratio
    x = ne * p
    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, stats.beta.ppf(alpha / 2, x, ne - x + 1), 0.0)
        hi = np.where(ne - x > 0, stats.beta.ppf(1 - alpha / 2, x + 1, ne - x), 1.0)
    return lo, hi


def _wilson(p, se, df, n, n_eff, level) -> Arrays:
    z = _t(level, df)
    z2n = z**2 / n_eff
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n_eff + z2n / (4 * n_eff))
    return centre - half, centre + half


def _wald(p, se, df, n, n_eff, level) -> Arrays:
    half = _t(level, df) * se
    return np.clip(p - half, 0, 1), np.clip(p + half, 0, 1)


METHODS: dict[str, Callable[..., Arrays]] = {
    "logit": _logit,
    "xlogit": _logit,
    "kg": _kg,
    "beta": _kg,
    "wilson": _wilson,
    "wald": _wald,
}


def proportion_ci(
    p: np.ndarray | float,
    se: np.ndarray | float,
    *,
    df: np.ndarray | float = np.inf,
    n: np.ndarray | float | None = None,
    n_eff: np.ndarray | float | None = None,
    method: str = "logit",
    level: float = 0.95,
) -> Arrays:
    """Confidence interval for a proportion from its estimate and design SE.

    Parameters
    ----------
    p, se : array_like
        Estimated proportion and its standard error.
    df : array_like
        Design degrees of freedom (#PSU - #strata); ``inf`` for the normal.
    n : array_like, optional
        Number of respondents (Korn-Graubard's t_{n-1} correction).
    n_eff : array_like, optional
        Fallback effective n (e.g. Kish's) used when SE = 0 or p is 0 or 1;
        otherwise the effective n is p(1-p)/SE².
    method : {'logit', 'xlogit', 'kg', 'beta', 'wilson', 'wald'}
        ``logit``: Wald interval on the logit scale with t_df quantiles
        (R ``svyciprop(method="logit")``).  ``kg``: Korn-Graubard,
        Clopper-Pearson on the effective n multiplied by (t_{n-1}/t_df)² [2]_.
        ``wilson``: Wilson score interval on the effective n [3]_.
        ``wald``: p ± t_df·SE, clipped to [0, 1].
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    (lower, upper) : tuple of ndarray

    Notes
    -----
    When p is 0 or 1 (SE 0) the logit and Wald intervals are undefined or
    degenerate; the Korn-Graubard (Clopper-Pearson) interval on the fallback
    effective n is returned instead, as a one-sided-safe choice.
    """
    if method not in METHODS:
        raise ValueError(f"unknown interval method {method!r}; choose one of {sorted(METHODS)}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    p, se = np.broadcast_arrays(np.asarray(p, float), np.asarray(se, float))
    df = np.broadcast_to(np.asarray(df, float), p.shape)
    fallback = np.broadcast_to(
        np.asarray(np.nan if n_eff is None else n_eff, float), p.shape
    )
    nn = np.broadcast_to(np.asarray(np.nan if n is None else n, float), p.shape)
    ne = design_n_eff(p, se, fallback)
    nn = np.where(np.isnan(nn), ne, nn)
    lo, hi = METHODS[method](p, se, df, nn, ne, level)
    edge = (p <= 0) | (p >= 1) | (se <= 0)
    if edge.any() and method != "kg":
        klo, khi = _kg(p, se, df, nn, ne, level)
        lo, hi = np.where(edge, klo, lo), np.where(edge, khi, hi)
    return np.asarray(lo, float), np.asarray(hi, float)
