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
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, FrameCount, Wave
from app.results import estimates, overview, snapshot
from app.results.filters import Filters
from app.results.snapshot import Snapshot

MIN_UNITS = 5  # fewer units than this in a group: no model


def small_n() -> int:
    return int(current_app.config["EB_SMALL_N"])


def group_table(part: pd.DataFrame, previous: dict[str, float] | None = None,
                frame: dict[str, float] | None = None) -> pd.DataFrame | None:
    """EB figures for one ranking group's table (columns agency, rate, se, n, suppressed): agency,
    n, direct, eb, eb_lower, eb_upper, gamma, small, eb_rank, eb_rank_lower, eb_rank_upper.

    Covariates, each only where every unit of the group has it and it varies: the unit's rate in
    the previous wave (``previous``, arcsine scale) and its transactions in the frame (``frame``,
    log scale). The level is constant within a group (units are ranked within their level)."""
    from scipy.stats import norm  # heavy: scipy.stats, only for the intervals

    from analysis import smallarea  # heavy: numpy and scipy models, only for this section

    rows = part[part["rate"].notna() & ~part["suppressed"].astype(bool) & (part["n"] > 0)]
    if len(rows) < MIN_UNITS:
        return None
    rate, n = rows["rate"].to_numpy(float), rows["n"].to_numpy(float)
    deff = smallarea.design_effect(rate, rows["se"].to_numpy(float), n)
    y, se = smallarea.stabilise(rate, n, transform="asin", deff=deff)
    columns, names = [], []
    for name, source, scale in (("previous_wave", previous, lambda v: np.arcsin(np.sqrt(np.clip(v, 0, 1)))),
                                ("frame", frame, lambda v: np.log(np.maximum(v, 1)))):
        if source and all(code in source for code in rows["agency"]):
            values = scale(np.array([source[code] for code in rows["agency"]], dtype=float))
            if np.ptp(values) > 0 and len(rows) > len(columns) + 3:
                columns.append(values)
                names.append(name)
    covariates = np.column_stack(columns) if columns else None
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
    out.attrs.update(sigma2_v=fit.sigma2_v, deff=deff, covariates=names)
    return out.sort_values(["eb_rank", "agency"]).reset_index(drop=True)


def _previous_rates(wave: Wave) -> dict[str, float]:
    """Agency → its published overall rate in the latest earlier wave on the same questionnaire."""
    before = db.session.scalar(select(Wave).where(Wave.survey_version_id == wave.survey_version_id,
                                                  Wave.period_end < wave.period_start, Wave.id != wave.id)
                               .order_by(Wave.period_end.desc()).limit(1))
    if before is None:
        return {}
    table = estimates.protected(snapshot.current(before), ["agency"])
    table = table[(table["measure"] == "overall") & ~table["suppressed"].astype(bool) & table["rate"].notna()]
    return dict(zip(table["agency"], table["rate"].astype(float), strict=True))


def _frame_sizes(wave: Wave) -> dict[str, float]:
    rows = db.session.execute(select(Agency.code, func.sum(FrameCount.transactions))
                              .join(Agency, Agency.id == FrameCount.agency_id)
                              .where(FrameCount.wave_id == wave.id).group_by(Agency.code)).all()
    return {code: float(total) for code, total in rows if total}


def section(snap: Snapshot, filters: Filters) -> list[dict]:
    """Per ranking group with at least one small unit: its EB table (cached per snapshot)."""
    def build() -> list[dict]:
        previous, frame = _previous_rates(snap.wave), _frame_sizes(snap.wave)
        out = []
        for ranking in overview.overview(snap, filters)["rankings"]:
            table = ranking["table"]
            if not {"n", "rate", "se", "suppressed"} <= set(table.columns):
                continue
            found = group_table(table, previous, frame)
            if found is not None and found["small"].any():
                out.append({"block": ranking["block"], "table": found, "attrs": dict(found.attrs)})
        return out

    return snap.cached("small-areas", build, filters, small_n())
