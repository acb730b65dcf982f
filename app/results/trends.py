"""Indices across waves with their intervals; a change is marked only when it is significant.

Waves are independent samples, so consecutive estimates are compared with cov = 0
(analysis.ranking.compare), Holm-adjusted across the changes of one table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import Wave
from app.results import estimates
from app.results.overview import measure_ranked
from app.results.snapshot import Snapshot

COLUMNS = ["wave", "wave_label", "series", "n", "rate", "se", "ci_lower", "ci_upper", "change", "p_adjusted",
           "arrow"]


def ordered_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).order_by(Wave.period_start, Wave.id)))


def _point(snap: Snapshot, agency: str | None) -> dict | None:
    measure = measure_ranked(snap.wave)
    dims = ["agency"] if agency else []
    table = estimates.protected(snap, dims)
    rows = table[table["measure"] == measure]
    if agency:
        rows = rows[rows["agency"] == agency]
    if rows.empty or rows.iloc[0]["suppressed"] or not rows.iloc[0]["n"]:  # (protect applied the rule)
        return None
    row = rows.iloc[0]
    return {"n": int(row["n"]), "rate": row["rate"], "se": row["se"], "ci_lower": row["ci_lower"],
            "ci_upper": row["ci_upper"]}


def series(snapshots: list[Snapshot], name: str, agency: str | None = None) -> pd.DataFrame:
    """One row per wave where the series has a usable estimate (small groups left out)."""
    lang = current_language()
    rows = []
    for snap in snapshots:
        wave = snap.wave
        if agency and agency not in {a.code for a in wave.agencies}:
            continue
        point = _point(snap, agency)
        if point is not None:
            rows.append({"wave": wave.slug, "wave_label": wave.name(lang), "series": name, **point})
    return pd.DataFrame(rows, columns=COLUMNS[:8])


def mark_changes(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Adds change (vs the series' previous wave), Holm-adjusted p and an arrow if significant."""
    from analysis.ranking import compare  # scipy: slow to import, only figures need it

    table = table.reset_index(drop=True).copy()
    table["change"], table["p_adjusted"], table["arrow"] = np.nan, np.nan, ""
    previous = table.groupby("series", sort=False).shift(1)
    pairs = previous["rate"].notna()
    if pairs.any():
        result = compare(table.loc[pairs, "rate"], table.loc[pairs, "se"], previous.loc[pairs, "rate"],
                         previous.loc[pairs, "se"], level=level, adjust="holm")
        table.loc[pairs, "change"] = result["difference"].to_numpy()
        table.loc[pairs, "p_adjusted"] = result["p_adjusted"].to_numpy()
        significant = pairs & (table["p_adjusted"] < 1 - level)
        table.loc[significant, "arrow"] = np.where(table.loc[significant, "change"] > 0, "up", "down")
    return table
