"""SIPAS figures beside the indices: late results, apology letters, expectations, Decision 766.

Each is estimated from the wave's roll-ups (app.results.rolled) with the wave's design weights and
strata, for the filtered subpopulation as a domain (analysis.moments; the microdata path is
analysis.sipas, and the two agree).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from app.results import design, disclosure, measures, rolled
from app.results.filters import Filters, in_domain
from app.results.snapshot import Snapshot


def _estimate(cm, measures_: list[str], filters: Filters, names: dict[str, str], **options) -> pd.DataFrame | None:
    """Rates of some measures on the whole sample with the filter as a domain; None if empty."""
    from analysis.moments import rates_from_moments  # scipy: slow to import, only figures need it

    domain = bool(filters.as_args())
    if domain:
        keys = cm.keys.copy()
        keys["_domain"] = np.where(in_domain(keys, filters).to_numpy(), "in", "out")
        cm = type(cm)(keys, cm.count, cm.measures, cm.m, cm.cross_items, cm.cross)
    try:
        table = rates_from_moments(cm, measures_, by=["_domain"] if domain else None, **options)
    except ValueError:  # an empty domain: nobody in the subpopulation answered
        return None
    if domain:
        table = table[table["_domain"] == "in"].drop(columns=["_domain"])
    table = table.reset_index(drop=True)
    table["measure"] = table["measure"].map(lambda m: names.get(m, m))
    return table


def figures(snap: Snapshot, filters: Filters) -> dict:
    """{'late', 'apology', 'decision766': row dict or None, 'expectations': DataFrame}."""
    from analysis.sipas import twice_less_one  # scipy: slow to import, only figures need it

    wave = snap.wave
    plan = measures.layout(wave)
    cm = rolled.read(snap)
    out: dict = {"late": None, "apology": None, "decision766": None, "expectations": None}
    if not len(cm.count):
        return out
    options = design.options(wave)
    if measures.LATE in plan.figures:
        out["late"] = _first(_estimate(cm, [measures.LATE], filters, {measures.LATE: "_late"}, **options))
    if measures.APOLOGY in plan.figures:
        out["apology"] = _first(_estimate(cm, [measures.APOLOGY], filters, {measures.APOLOGY: "apology"}, **options))
    if plan.expectations:
        codes = [measures.EXPECTATION + c for c in plan.expectations]
        out["expectations"] = _estimate(cm, codes, filters, dict(zip(codes, plan.expectations, strict=True)),
                                        **options)
    if "decision766" in plan.pooled:
        parts = list(measures.D766_PARTS)
        table = _estimate(cm, parts, filters, {}, factors={"decision766": parts}, rule="pooled", **options)
        if table is not None:
            table = twice_less_one(table[table["measure"] == "decision766"].reset_index(drop=True))
        out["decision766"] = _first(table)
    return _published(snap, out, filters)


def _published(snap: Snapshot, out: dict, filters: Filters) -> dict:
    """The figures of a filter cell that complementary suppression hides are not shown."""
    cell = filters.as_args()
    for name in ("late", "apology", "decision766"):
        out[name] = disclosure.published_row(snap, f"extra:{name}", cell, out[name])
    shares = out["expectations"]
    if shares is not None and len(shares):
        rows = [disclosure.published_row(snap, row["measure"], cell, row) for row in shares.to_dict(orient="records")]
        out["expectations"] = pd.DataFrame(rows, columns=[*shares.columns, "small", "suppressed"])
    return out


def _first(table: pd.DataFrame | None) -> dict | None:
    return table.iloc[0].to_dict() if table is not None and len(table) else None
