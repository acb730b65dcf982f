"""Comparisons, rankings with rank intervals, tiers and funnel limits.

References
----------
.. [1] Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their
   limitations. *JRSS A* 159, 385-443. (rank intervals by simulation)
.. [2] Holm, S. (1979). A simple sequentially rejective multiple test
   procedure. *Scand. J. Statist.* 6, 65-70.
.. [3] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional
   performance. *Statistics in Medicine* 24, 1185-1202.

Estimates at 0 % or 100 % (or with an SE of 0) are never treated as certain
(issue 13): their draws come from the beta distribution whose quantile is the
Clopper-Pearson bound on Kish's n_eff (Beta(n, 1) at 100 %, Beta(1, n) at 0 %,
Jeffreys' Beta(x + ½, n - x + ½) for an interior rate with SE 0), and that
distribution's standard deviation stands in for the SE in the tier tests.
Tied draws get tied ranks (the smallest, "1224" competition ranking, like the
point rank).  Tiers never split two agencies whose rank intervals are identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats


def _holm(p: np.ndarray) -> np.ndarray:
    m = p.size
    order = np.argsort(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


ADJUST: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "holm": _holm,
    "bonferroni": lambda p: np.minimum(p * p.size, 1.0),
    "none": lambda p: p,
}


def compare(
    est1: np.ndarray | float,
    se1: np.ndarray | float,
    est2: np.ndarray | float,
    se2: np.ndarray | float,
    *,
    cov: np.ndarray | float = 0.0,
    df: float = np.inf,
    level: float = 0.95,
    adjust: str = "holm",
    n_eff1: np.ndarray | float | None = None,
    n_eff2: np.ndarray | float | None = None,
) -> pd.DataFrame:
    """Differences est1 - est2 with SE, CI and p-values adjusted across the family.

    Independent samples (two agencies, or two waves) have ``cov`` 0; pass the
    covariance for overlapping domains.  Tests use t with ``df`` (normal when
    infinite); ``adjust`` is ``holm`` [2]_, ``bonferroni`` or ``none``.  For
    proportions pass the Kish ``n_eff1``/``n_eff2``: an estimate at 0 or 1 or
    with SE 0 is then tested with :func:`edge_se` instead of an SE of 0.
    """
    if adjust not in ADJUST:
        raise ValueError(f"unknown adjustment {adjust!r}; choose one of {sorted(ADJUST)}")
    e1, s1, e2, s2, c = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float)) for v in (est1, se1, est2, se2, cov)))
    if n_eff1 is not None:
        s1 = edge_se(e1, s1, np.broadcast_to(np.asarray(n_eff1, float), e1.shape))
    if n_eff2 is not None:
        s2 = edge_se(e2, s2, np.broadcast_to(np.asarray(n_eff2, float), e2.shape))
    diff = e1 - e2
    se = np.sqrt(np.maximum(s1**2 + s2**2 - 2 * c, 0))
    dist = stats.norm if not np.isfinite(df) else stats.t(df)
    q = dist.ppf(1 - (1 - level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = diff / se
    p = 2 * dist.sf(np.abs(stat))
    p = np.where(se > 0, p, np.where(diff == 0, 1.0, 0.0))
    return pd.DataFrame(
        {"difference": diff, "se": se, "ci_lower": diff - q * se, "ci_upper": diff + q * se,
         "statistic": stat, "p_value": p, "p_adjusted": ADJUST[adjust](p)}
    )


def _edge(rate: np.ndarray, se: np.ndarray) -> np.ndarray:
    return (rate <= 0) | (rate >= 1) | ~(se > 0)


def _edge_beta(rate: np.ndarray, n_eff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beta parameters for estimates without a usable SE (see the module docstring)."""
    n = np.maximum(np.asarray(n_eff, float), 1.0)
    x = np.clip(rate, 0, 1) * n
    a = np.where(rate >= 1, n, np.where(rate <= 0, 1.0, x + 0.5))
    b = np.where(rate >= 1, 1.0, np.where(rate <= 0, n, n - x + 0.5))
    return a, b


def edge_se(rate, se, n_eff) -> np.ndarray:
    """``se``, or where the rate is 0 or 1 or the SE is 0, the standard deviation of the beta
    distribution the rank draws use (so no test is ever made against an SE of 0)."""
    rate, se, n_eff = np.broadcast_arrays(*(np.asarray(v, float) for v in (rate, se, n_eff)))
    a, b = _edge_beta(rate, n_eff)
    beta_sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    return np.where(_edge(rate, se) & np.isfinite(n_eff), beta_sd, se)


def _check_n_eff(rate, se, n_eff) -> np.ndarray:
    edge = _edge(rate, se)
    if n_eff is None:
        n_eff = np.full(rate.shape, np.nan)
    n_eff = np.asarray(n_eff, float)
    if (edge & ~(n_eff > 0)).any():
        raise ValueError("an estimate at 0 or 1 or with SE 0 needs its effective n (n_eff) to rank")
    return n_eff


def simulate_ranks(
    rate: np.ndarray, se: np.ndarray, n_sim: int, seed: int, n_eff: np.ndarray | None = None
) -> np.ndarray:
    """Ranks (1 = highest) of draws from each estimate's sampling distribution.

    Draws are normal on the logit scale (the scale of the logit interval),
    with SE_logit = SE / (p(1-p)).  Estimates at 0 or 1, or with SE 0, are
    drawn from the beta distribution of the module docstring on ``n_eff``
    (required for them).  Tied draws share the smallest rank.
    """
    rate, se = np.asarray(rate, float), np.asarray(se, float)
    n_eff = _check_n_eff(rate, se, n_eff)
    rng = np.random.default_rng(seed)
    edge = _edge(rate, se)
    p = np.clip(rate, 1e-12, 1 - 1e-12)
    sd = np.where(edge, 0.0, se / (p * (1 - p)))
    z = np.log(p / (1 - p)) + sd * rng.standard_normal((n_sim, rate.size))
    draws = 1 / (1 + np.exp(-z))
    if edge.any():
        a, b = _edge_beta(rate[edge], n_eff[edge])
        draws[:, edge] = rng.beta(a, b, size=(n_sim, int(edge.sum())))
    return stats.rankdata(-draws, method="min", axis=1).astype(np.int64)


def tiers(
    rate: np.ndarray,
    se: np.ndarray,
    *,
    level: float = 0.95,
    n_eff: np.ndarray | None = None,
    rank_lower: np.ndarray | None = None,
    rank_upper: np.ndarray | None = None,
) -> np.ndarray:
    """Tiers of estimates not significantly different from their tier's leader.

    Sorted from the highest rate, an estimate joins the current tier unless a
    two-sided z-test at ``level`` says it is below the tier's leader.  An SE
    of 0 (or a rate of 0 or 1) is replaced by :func:`edge_se` on ``n_eff``.
    Given rank intervals, tiers holding two estimates with the same interval
    are merged with every tier between them, so that the tiers never separate
    what the rank intervals cannot.
    """
    rate = np.asarray(rate, float)
    se = np.asarray(se, float)
    n_eff = _check_n_eff(rate, se, n_eff)
    se = edge_se(rate, se, n_eff)
    order = np.argsort(-rate, kind="stable")
    q = stats.norm.ppf(1 - (1 - level) / 2)
    out = np.zeros(rate.size, dtype=int)
    tier, leader = 0, None
    for i in order:  # loop over domains (tens), not respondents
        if leader is None or rate[leader] - rate[i] > q * np.hypot(se[leader], se[i]):
            tier, leader = tier + 1, i
        out[i] = tier
    if rank_lower is not None and rank_upper is not None and rate.size:
        keys = pd.Series(list(zip(np.asarray(rank_lower), np.asarray(rank_upper))))
        lowest = pd.Series(out).groupby(keys).transform("min").to_numpy()
        highest = pd.Series(out).groupby(keys).transform("max").to_numpy()
        starts = np.ones(tier + 1, dtype=bool)  # starts[t]: tier t begins a merged tier
        for lo, hi in set(zip(lowest, highest)):
            starts[lo + 1:hi + 1] = False
        out = np.cumsum(starts)[out] - 1  # (index 0 is unused: tiers count from 1)
    return out


def rank_table(
    rates: pd.DataFrame,
    *,
    measure: str = "overall",
    by: str | Sequence[str] = "agency",
    n_sim: int = 2000,
    seed: int = 20240601,
    min_n_eff: float = 30.0,
    top_k: int = 3,
    level: float = 0.95,
) -> pd.DataFrame:
    """Rank domains on one measure with rank intervals, P(top k) and tiers.

    Parameters
    ----------
    rates : DataFrame
        Output of :func:`analysis.rates.compute_rates`.
    measure : str
        Which measure to rank (item, factor or ``overall``).
    by : str or sequence of str
        The domain columns identifying what is ranked.
    n_sim, seed : int
        Simulation size and seed for rank intervals [1]_.
    min_n_eff : float
        Rows with a smaller effective n are flagged and left unranked.
    top_k : int
        ``p_top`` is the probability of a rank <= top_k.
    level : float
        Coverage of the rank interval.

    Returns
    -------
    DataFrame
        by columns, measure, rate, se, n_eff, rank, rank_lower, rank_upper,
        p_top, tier, flagged; ranked rows first by rank, then flagged rows.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in [*by, "measure", "rate", "se", "n_eff"] if c not in rates.columns]
    if missing:
        raise ValueError(f"rates have no column {missing[0]!r}")
    rows = rates.loc[rates["measure"].astype(str) == measure, [*by, "measure", "rate", "se", "n_eff"]]
    if rows.empty:
        raise ValueError(f"no rows for measure {measure!r}")
    rows = rows.reset_index(drop=True)
    ok = (rows["n_eff"] >= min_n_eff) & (rows["n_eff"] > 0) & rows["rate"].notna() & rows["se"].notna()
    ranked = rows[ok].copy()
    rate, se = ranked["rate"].to_numpy(float), ranked["se"].to_numpy(float)
    if len(ranked):
        n_eff = ranked["n_eff"].to_numpy(float)
        sims = simulate_ranks(rate, se, n_sim, seed, n_eff=n_eff)
        alpha = 1 - level
        ranked["rank"] = pd.Series(-rate).rank(method="min").to_numpy()
        lower = np.floor(np.quantile(sims, alpha / 2, axis=0))
        upper = np.ceil(np.quantile(sims, 1 - alpha / 2, axis=0))
        # the point rank is inside its own interval even when ties put the draws' ranks above it
        ranked["rank_lower"] = np.minimum(lower, ranked["rank"].to_numpy())
        ranked["rank_upper"] = np.maximum(upper, ranked["rank"].to_numpy())
        ranked["p_top"] = (sims <= top_k).mean(axis=0)
        ranked["tier"] = tiers(rate, se, level=level, n_eff=n_eff,
                               rank_lower=ranked["rank_lower"].to_numpy(),
                               rank_upper=ranked["rank_upper"].to_numpy())
    ranked["flagged"] = False
    unranked = rows[~ok].copy()
    unranked["flagged"] = True
    out = pd.concat([ranked.sort_values("rank", kind="stable"), unranked], ignore_index=True)
    for col in ("rank", "rank_lower", "rank_upper", "tier"):
        out[col] = out[col].astype("Int64") if col in out else pd.NA
    if "p_top" not in out:
        out["p_top"] = np.nan
    return out[[*by, "measure", "rate", "se", "n_eff", "rank", "rank_lower", "rank_upper",
                "p_top", "tier", "flagged"]]


def funnel_limits(
    target: float, n: np.ndarray | Sequence[float], *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Funnel-plot control limits for a proportion around ``target`` [3]_.

    Exact binomial limits (with Spiegelhalter's interpolation) at sample
    size ``n`` (use the effective n for weighted data).
    """
    n = np.asarray(n, dtype=float)
    a = (1 - level) / 2
    out = []
    for prob in (a, 1 - a):
        r = stats.binom.ppf(prob, np.maximum(np.round(n), 1), target)
        below = stats.binom.cdf(r - 1, np.maximum(np.round(n), 1), target)
        at = stats.binom.pmf(r, np.maximum(np.round(n), 1), target)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(at > 0, (prob - below) / at, 0)
        out.append(np.clip((r - 1 + frac) / np.maximum(n, 1), 0, 1))
    return out[0], out[1]
