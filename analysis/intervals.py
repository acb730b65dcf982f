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

Arrays = tuple[np.ndarray, np.ndarray]


def _t(level: float, df: np.ndarray) -> np.ndarray:
    """t quantile; infinite df is the normal, and df below 1 (a domain in a single PSU, where R
    gives NaN) is taken as 1, the widest interval that is still defined."""
    df = np.asarray(df, dtype=float)
    q = 1 - (1 - level) / 2
    finite = np.isfinite(df)
    # scipy.special's stdtrit and ndtri are what stats.t.ppf and stats.norm.ppf compute (the
    # same bits), without the 0.4 s import of scipy.stats, a fifth of the CLI's whole run.
    from scipy import special  # heavy: scipy.special, imported when an interval is computed

    return np.where(finite, special.stdtrit(np.where(finite, np.maximum(df, 1), 1), q), special.ndtri(q))


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


def clopper_pearson(x: np.ndarray, n: np.ndarray, level: float) -> Arrays:
    """Clopper-Pearson interval for x successes out of n (both may be fractional, as an effective
    n is): beta quantiles, with 0 and 1 at the ends."""
    alpha = 1 - level
    x, n = np.broadcast_arrays(np.asarray(x, float), np.asarray(n, float))
    from scipy import stats  # heavy: scipy.stats takes 0.4 s to import, only for the kg interval

    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, stats.beta.ppf(alpha / 2, np.where(x > 0, x, 1), n - x + 1), 0.0)
        hi = np.where(n - x > 0, stats.beta.ppf(1 - alpha / 2, x + 1, np.where(n - x > 0, n - x, 1)), 1.0)
    return lo, hi


def _kg(p, se, df, n, n_eff, level) -> Arrays:
    # R's svyciprop(method="beta") multiplies n_eff by (t_{n-1}/t_df)^2; with the domain's df that
    # ratio is at most 1 (#PSU - #strata <= n - 1).  Capping it at 1 keeps a t_{n-1} on a few
    # respondents from ever *growing* the effective n (issue 13: one respondent gave [0.915, 1]).
    ratio = np.minimum((_t(level, np.maximum(n - 1, 1)) / _t(level, df)) ** 2, 1.0)
    ne = n_eff * ratio
    return clopper_pearson(ne * p, ne, level)


def _wilson(p, se, df, n, n_eff, level) -> Arrays:
    z = _t(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):  # n_eff 0: an empty domain, NaN
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
        Design degrees of freedom of the domain (#PSU - #strata among the PSUs
        and strata that contain it); ``inf`` for the normal.
    n : array_like, optional
        Number of respondents (Korn-Graubard's t_{n-1} correction).
    n_eff : array_like, optional
        Kish's effective n, (Σw)²/Σw²: the Clopper-Pearson fallback when
        SE = 0 or p is 0 or 1; otherwise the effective n is p(1-p)/SE².
    method : {'logit', 'xlogit', 'kg', 'beta', 'wilson', 'wald'}
        ``logit``: Wald interval on the logit scale with t_df quantiles
        (R ``svyciprop(method="logit")``).  ``kg``: Korn-Graubard,
        Clopper-Pearson on the effective n multiplied by
        min(1, (t_{n-1}/t_df)²) [2]_ (R ``svyciprop(method="beta")``).
        ``wilson``: Wilson score interval on the effective n [3]_.
        ``wald``: p ± t_df·SE, clipped to [0, 1].
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    (lower, upper) : tuple of ndarray

    Notes
    -----
    When p is 0 or 1, or SE is 0, every method returns the Clopper-Pearson
    interval for p·n_eff successes out of Kish's n_eff (no t ratio): the
    design says nothing about the spread, so the interval is the exact
    binomial one on the effective number of respondents.  With no Kish n_eff
    (``n_eff`` omitted) it falls back on ``n``.

    Coverage (tests/analysis/test_coverage.py, exact enumeration of every
    binomial outcome for n = 1..20, equal weights): ``kg`` never covers less
    than the nominal level at any true rate; ``wilson`` and ``logit`` cover
    the nominal level on average over the true rate but not at every rate;
    ``wald`` claims nothing at small n.
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
    kish = np.where(np.isnan(fallback), nn, fallback)
    ne = design_n_eff(p, se, kish)
    nn = np.where(np.isnan(nn), ne, nn)
    lo, hi = METHODS[method](p, se, df, nn, ne, level)
    edge = (p <= 0) | (p >= 1) | (se <= 0)
    if edge.any():
        klo, khi = clopper_pearson(p * kish, kish, level)
        lo, hi = np.where(edge, klo, lo), np.where(edge, khi, hi)
    return np.asarray(lo, float), np.asarray(hi, float)
