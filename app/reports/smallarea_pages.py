"""Small units ranked fairly (issue 20): Fay–Herriot empirical-Bayes estimates beside the direct
ones, per ranking group, with ranks and rank intervals on the EB estimates.

Per group of units ranked together (a block's departments, its communes): the shares satisfied are
put on the arcsine-square-root scale with sampling variances from a generalised variance function
deff / (4n) (deff: the group's median design effect), σᵥ² is estimated by REML, and each unit's
estimate is pulled toward the group's mean (and, where every unit has one, the regression on its
previous wave's rate) by 1 − γ, γ = σᵥ² / (σᵥ² + ψ): a unit with many answers keeps its own figure,
a unit with a handful moves most. Units whose figures are suppressed take no part (their answers
must not leak through the model either). The direct estimates are never hidden.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from flask import current_app

from app.results import overview
from app.results.filters import Filters
from app.results.snapshot import Snapshot

MIN_UNITS = 5  # fewer units than this in a group: no model


def small_n() -> int:
    return int(current_app.config["EB_SMALL_N"])


def group_table(part: pd.DataFrame, previous: dict[str, float] | None = None) -> pd.DataFrame | None:
    """EB figures for one ranking group's table (columns agency, rate, se, n, suppressed): agency,
    n, direct, eb, eb_lower, eb_upper, gamma, small, eb_rank, eb_rank_lower, eb_rank_upper."""
    from scipy.stats import norm  # heavy: scipy.stats, only for the intervals

    from analysis import smallarea  # heavy: numpy and scipy models, only for this section

    rows = part[part["rate"].notna() & ~part["suppressed"].astype(bool) & (part["n"] > 0)]
    if len(rows) < MIN_UNITS:
        return None
    rate, n = rows["rate"].to_numpy(float), rows["n"].to_numpy(float)
    deff = smallarea.design_effect(rate, rows["se"].to_numpy(float), n)
    y, se = smallarea.stabilise(rate, n, transform="asin", deff=deff)
    covariates = None
    if previous and all(code in previous for code in rows["agency"]):
        before = np.array([previous[code] for code in rows["agency"]], dtype=float)
        if np.ptp(before) > 0:
            covariates = np.arcsin(np.sqrt(np.clip(before, 0, 1)))[:, None]
    try:
        fit = smallarea.fay_herriot(y, se, covariates, method="reml")
    except (ValueError, np.linalg.LinAlgError):
        return None
    z = norm.ppf(0.5 + current_app.config.get("EB_LEVEL", 0.95) / 2)
    rank, lower, upper = smallarea.eb_ranks(fit.eb, fit.mse)
    out = pd.DataFrame({
        "agency": rows["agency"].to_numpy(), "n": n.astype(int), "direct": rate,
        "direct_lower": rows["ci_lower"].to_numpy(float) if "ci_lower" in rows else np.nan,
        "direct_upper": rows["ci_upper"].to_numpy(float) if "ci_upper" in rows else np.nan,
        "eb": smallarea.unstabilise(fit.eb, "asin"),
        "eb_lower": smallarea.unstabilise(fit.eb - z * np.sqrt(fit.mse), "asin"),
        "eb_upper": smallarea.unstabilise(fit.eb + z * np.sqrt(fit.mse), "asin"),
        "gamma": fit.gamma, "small": n < small_n(),
        "eb_rank": rank, "eb_rank_lower": lower, "eb_rank_upper": upper})
    out.attrs.update(sigma2_v=fit.sigma2_v, deff=deff, covariate=covariates is not None)
    return out.sort_values(["eb_rank", "agency"]).reset_index(drop=True)


def section(snap: Snapshot, filters: Filters, previous: dict[str, float] | None = None) -> list[dict]:
    """Per ranking group with at least one small unit: its EB table (cached per snapshot)."""
    def build() -> list[dict]:
        out = []
        for ranking in overview.overview(snap, filters)["rankings"]:
            table = ranking["table"]
            if not {"n", "rate", "se", "suppressed"} <= set(table.columns):
                continue
            found = group_table(table, previous)
            if found is not None and found["small"].any():
                out.append({"block": ranking["block"], "table": found, "attrs": dict(found.attrs)})
        return out

    return snap.cached("small-areas", build, filters, small_n())
