"""Comparisons, rankings with rank intervals, tiers and funnel limits.

References
----------
.. [1] Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their
   limitations. *JRSS A* 159, 385-443. (rank intervals by simulation)
.. [2] Holm, S. (1979). A simple sequentially rejective multiple test
   procedure. *Scand. J. Statist.* 6, 65-70.
.. [3] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional
   performance. *Statistics in Medicine* 24, 1185-1202.
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
) -> pd.DataFrame:
    """Differences est1 - est2 with SE, CI and p-values adjusted across the family.

    Independent samples (two agencies, or two waves) have ``cov`` 0; pass the
    covariance for overlapping domains.  Tests use t with ``df`` (normal when
    infinite); ``adjust`` is ``holm`` [2]_, ``bonferroni`` or ``none``.
    """
    if adjust not in ADJUST:
        raise ValueError(f"unknown adjustment {adjust!r}; choose one of {sorted(ADJUST)}")
    e1, s1, e2, s2, c = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float)) for v in (est1, se1, est2, se2, cov)))
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


def simulate_ranks(rate: np.ndarray, se: np.ndarray, n_sim: int, seed: int) -> np.ndarray:
    """Ranks (1 = highest) of draws from each estimate's sampling distribution.

    Draws are normal on the logit scale (the scale of the logit interval),
    with SE_logit = SE / (p(1-p)); estimates at 0 or 1 are held fixed.
    """
    rng = np.random.default_rng(seed)
    p = np.clip(rate, 1e-12, 1 - 1e-12)
    centre = np.log(p / (1 - p))
    sd = np.where((rate > 0) & (rate < 1), se / (p * (1 - p)), 0.0)
    draws = centre + sd * rng.standard_normal((n_sim, rate.size))
    order = np.argsort(-draws, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, rate.size + 1)[None, :], axis=1)
    return ranks


def tiers(rate: np.ndarray, se: np.ndarray, *, level: float = 0.95) -> np.ndarray:
    """Tiers of estimates not significantly different from their tier's leader.

    Sorted from the highest rate, an estimate joins the current tier unless a
    two-sided z-test at ``level`` says it is below the tier's leader.
    """
    order = np.argsort(-rate, kind="stable")
    q = stats.norm.ppf(1 - (1 - level) / 2)
    out = np.zeros(rate.size, dtype=int)
    tier, leader = 0, None
    for i in order:  # loop over domains (tens), not respondents
        if leader is None or rate[leader] - rate[i] > q * np.hypot(se[leader], se[i]):
            tier, leader = tier + 1, i
        out[i] = tier
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
    ok = (rows["n_eff"] >= min_n_eff) & rows["rate"].notna() & rows["se"].notna()
    ranked = rows[ok].copy()
    rate, se = ranked["rate"].to_numpy(float), ranked["se"].to_numpy(float)
    if len(ranked):
        sims = simulate_ranks(rate, se, n_sim, seed)
        alpha = 1 - level
        ranked["rank"] = pd.Series(-rate).rank(method="min").to_numpy()
        ranked["rank_lower"] = np.floor(np.quantile(sims, alpha / 2, axis=0))
        ranked["rank_upper"] = np.ceil(np.quantile(sims, 1 - alpha / 2, axis=0))
        ranked["p_top"] = (sims <= top_k).mean(axis=0)
        ranked["tier"] = tiers(rate, se, level=level)
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
