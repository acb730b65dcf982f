"""The sampling design a wave's estimates use: design weights, strata, the finite population
correction and raking margins, all read from the wave's sampling frame (FrameCount, Margin)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, FrameCount, Margin, Wave


def _agency_strata(data: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each response's (agency, stratum) pair as a code into the few distinct pairs: weights and
    strata keys are worked out per pair, not on a million strings."""
    agency, agencies = pd.factorize(data["agency"].astype(str))
    stratum, strata = pd.factorize(data["stratum"].fillna("").astype(str))
    width = max(len(strata), 1)
    pair, pairs = pd.factorize(agency * width + stratum)
    return pair, [(agencies[p // width], strata[p % width]) for p in pairs]


def design_weights(wave: Wave, data: pd.DataFrame) -> np.ndarray:
    """N_h / n_h with h = agency (× frame stratum where counts are finer); 1 where no count."""
    counts = db.session.execute(select(Agency.code, FrameCount.stratum, FrameCount.transactions)
                                .join(Agency, Agency.id == FrameCount.agency_id)
                                .where(FrameCount.wave_id == wave.id)).all()
    if not counts or data.empty:
        return np.ones(len(data))
    totals = {(a, s): n for a, s, n in counts}
    pair, pairs = _agency_strata(data)
    groups: dict[tuple[str, str], int] = {}  # h: (agency, stratum) where counted that finely, else (agency, "")
    group_of_pair = np.array([groups.setdefault((a, s) if s != "" and (a, s) in totals else (a, ""), len(groups))
                              for a, s in pairs])
    group = group_of_pair[pair]
    sizes = np.bincount(group, minlength=len(groups)).astype(float)
    population = np.array([totals.get(h, np.nan) for h in groups], dtype=float)
    return np.where(np.isnan(population) | (population == 0), 1.0, population / sizes)[group]


def stratum_keys(data: pd.DataFrame) -> np.ndarray:
    """The design's strata, "agency|stratum" per response (what estimates pass to analysis as
    `strata`)."""
    pair, pairs = _agency_strata(data)
    return np.array([f"{a}|{s}" for a, s in pairs] + [""], dtype=object)[pair]


def wave_margins(wave: Wave) -> pd.DataFrame | None:
    rows = db.session.execute(select(Margin.variable, Margin.category, Margin.total)
                              .where(Margin.wave_id == wave.id)).all()
    return pd.DataFrame(rows, columns=["variable", "category", "total"]) if rows else None


def stratum_populations(wave: Wave, data: pd.DataFrame) -> pd.Series:
    """N_h per respondent for the finite population correction (agency-level frame counts)."""
    counts = dict(db.session.execute(select(Agency.code, FrameCount.transactions)
                                     .join(Agency, Agency.id == FrameCount.agency_id)
                                     .where(FrameCount.wave_id == wave.id, FrameCount.stratum == "")).all())
    return data["agency"].map(counts).astype(float)


def options(wave: Wave) -> dict:
    """The design as analysis' estimators take it (weights, strata, fpc, raking, interval)."""
    settings = wave.estimation
    return {"weight": "weight", "strata": "stratum_key", "ci": settings.ci,
            "level": settings.level,
            "fpc": "population" if settings.fpc else None,
            "margins": wave_margins(wave) if settings.rake else None}
