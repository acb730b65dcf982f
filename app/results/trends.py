"""Indices across waves with their intervals; a change is marked only when it is significant.

Waves are independent samples, so consecutive estimates are compared with cov = 0
(analysis.ranking.compare), Holm-adjusted across the changes of one table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.extensions import db
from app.models import Wave

COLUMNS = ["wave", "wave_label", "series", "n", "rate", "se", "ci_lower", "ci_upper", "change", "p_adjusted",
           "arrow"]


def ordered_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).order_by(Wave.period_start, Wave.id)))


def mark_changes(table: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Adds change (vs the series' previous wave), Holm-adjusted p and an arrow if significant;
    never from or to a ``modelled`` point (app.results.lineage_trend)."""
    from analysis.ranking import compare  # scipy: slow to import, only figures need it

    table = table.reset_index(drop=True).copy()
    table["change"], table["p_adjusted"], table["arrow"] = np.nan, np.nan, ""
    previous = table.groupby("series", sort=False).shift(1)
    pairs = previous["rate"].notna()
    if "basis" in table:  # a modelled point's SE leaves out the model's error: no test across it
        pairs &= (table["basis"] != "modelled") & (previous["basis"] != "modelled")
    if pairs.any():
        result = compare(table.loc[pairs, "rate"], table.loc[pairs, "se"], previous.loc[pairs, "rate"],
                         previous.loc[pairs, "se"], level=level, adjust="holm")
        table.loc[pairs, "change"] = result["difference"].to_numpy()
        table.loc[pairs, "p_adjusted"] = result["p_adjusted"].to_numpy()
        significant = pairs & (table["p_adjusted"] < 1 - level)
        table.loc[significant, "arrow"] = np.where(table.loc[significant, "change"] > 0, "up", "down")
    return table
