"""A wave's figures read from its roll-ups: the cells as analysis.moments.CellMoments, with the
design's columns worked out per cell (design weight N_h / n_h, stratum key, stratum population).

Design weights are constant within a cell (a cell never spans two strata), so the cells hold
everything analysis.moments needs; n_h is the sum of the counts of the stratum's cells.

``agency`` is the unit that received the dossiers, ``processing_unit`` the one that processed them
(the receiving unit where the response names none): a figure is attributed to either by grouping
on one or the other (Decree 118/2025: one-stop centres receive dossiers regardless of boundaries).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, Block, FrameCount, Response
from app.results import funnel, measures, rollup
from app.results.snapshot import Snapshot

KEYS = ("agency", "block", "stratum", "channel", "language", "service_field", "processing_unit")
# the other key parts are question values
TEXT_KEYS = ("stratum", "channel", "language", "processing_unit", rollup.INVITED_BY)
INTEGRITY_EXCLUSION = "integrity review"  # how app/review/integrity.py's exclusions begin (review sits above)


def _number(text: str) -> float:
    return float(text) if text != "" else np.nan


def read(snap: Snapshot):
    """The wave's cells summed over weeks, keys decoded, design columns added; per snapshot."""
    return snap.cached("cells", lambda: _build(snap))


def _build(snap: Snapshot):
    from analysis.moments import CellMoments  # scipy: slow to import, only figures need it

    wave = snap.wave
    plan = measures.layout(wave)
    if snap.view == "collected":  # the responses an integrity review excluded, added back
        frame, numbers = rollup.cells_adding(db.session, wave, [
            Response.excluded.is_(True), Response.exclusion_reason.like(f"{INTEGRITY_EXCLUSION}%")])
    else:
        frame, numbers = rollup.cells(db.session, wave)
    measure_names = [*plan.states, *plan.pooled]
    width = 6 * len(measure_names)
    k = len(plan.cross)
    agencies = dict((i, (a, b)) for i, a, b in db.session.execute(
        select(Agency.id, Agency.code, Block.code).join(Block, Block.id == Agency.block_id)))
    parts = frame["key"].str.split(rollup.SEP, expand=True, regex=False) if len(frame) else None
    keys = pd.DataFrame(index=frame.index)
    keys["agency"] = frame["agency_id"].map(lambda i: agencies[i][0]).astype(object)
    keys["block"] = frame["agency_id"].map(lambda i: agencies[i][1]).astype(object)
    extra = list(rollup.extra_parts(plan))  # nonresponse: the invitation's channel
    names = [*rollup.KEY_PARTS, *plan.raking, *extra]
    for position, name in enumerate(names):
        # (cells written before a key part existed lack it until their rebuild: read as blank)
        column = (parts[position] if parts is not None and position in parts.columns
                  else pd.Series("" if parts is not None else None, index=frame.index, dtype=object))
        column = column.fillna("") if parts is not None else column
        if name == "processing_unit":  # none named (""): the receiving unit processed the dossier
            keys[name] = column.where(column != "", keys["agency"]).astype(object)
        elif name in TEXT_KEYS:
            keys[name] = column.astype(object)
        else:  # question values: numbers, NaN where blank (as the respondent table has them)
            keys[name] = column.map(_number).astype(float)
    m = numbers[:, :width].reshape(len(frame), len(measure_names), 6) if len(frame) else np.zeros((0, len(measure_names), 6))
    cross = numbers[:, width:].reshape(len(frame), 3, k, k) if k and len(frame) else (np.zeros((0, 3, k, k)) if k else None)
    cm = CellMoments(keys.reset_index(drop=True), frame["count"].to_numpy(dtype=float), tuple(measure_names),
                     np.ascontiguousarray(m), tuple(plan.cross), cross)
    cm = cm.reduce([*KEYS, *plan.raking, *extra]) if len(frame) else cm
    return _with_design(snap, cm)


def _with_design(snap: Snapshot, cm):
    """Add weight, stratum_key and population (N_h for the fpc) as key columns."""
    wave = snap.wave
    keys = cm.keys.copy()
    counts = db.session.execute(select(Agency.code, FrameCount.stratum, FrameCount.transactions)
                                .join(Agency, Agency.id == FrameCount.agency_id)
                                .where(FrameCount.wave_id == wave.id)).all()
    totals = {(a, s): n for a, s, n in counts}
    agency, stratum = keys["agency"].astype(str), keys["stratum"].fillna("").astype(str)
    keys["stratum_key"] = (agency + "|" + stratum).to_numpy(dtype=object)
    if totals and len(keys):
        group = [(a, s) if s != "" and (a, s) in totals else (a, "") for a, s in zip(agency, stratum)]
        group_codes, uniques = pd.factorize(pd.Series([f"{a}\x1f{s}" for a, s in group]))
        sizes = np.bincount(group_codes, cm.count, len(uniques))
        population = np.array([totals.get(tuple(u.split("\x1f")), np.nan) for u in uniques], dtype=float)
        per_group = np.where(np.isnan(population) | (population == 0), 1.0, population / sizes)
        keys["weight"] = per_group[group_codes]
    else:
        keys["weight"] = 1.0
    if wave.estimation.nonresponse and rollup.INVITED_BY in keys.columns and len(keys):
        keys["weight"] = _nonresponse(wave, keys, cm.count)
    agency_totals = {a: n for (a, s), n in totals.items() if s == ""}
    keys["population"] = agency.map(agency_totals).astype(float).to_numpy()
    return type(cm)(keys, cm.count, cm.measures, cm.m, cm.cross_items, cm.cross)


def _nonresponse(wave, keys: pd.DataFrame, count: np.ndarray) -> np.ndarray:
    """Design weights × issued_c / completed_c on the funnel cells c = agency × invitation channel,
    scaled within each design stratum to keep its total (analysis.nonresponse.adjust); raking, if
    any, follows in the estimators. The issued counts are read with the cells (per snapshot): an
    invitation issued since the last response counts from the next response on."""
    from analysis.nonresponse import adjust  # numpy only, but with the figures' other analysis imports

    factor = funnel.cell_factors(wave, keys["agency"], keys[rollup.INVITED_BY], count)
    keys["nonresponse_factor"] = factor
    return adjust(keys["weight"].to_numpy(dtype=float), count, keys["stratum_key"].tolist(), factor)


def answered(snap: Snapshot) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per cell, how many respondents count in each measure's n (items, factors, overall, SIPAS
    figures as app.results.disclosure names them)."""
    cm = read(snap)
    plan = measures.layout(snap.wave)
    index = {name: i for i, name in enumerate(cm.measures)}
    n = {name: cm.m[:, i, 0] for name, i in index.items()}
    out = {code: n[measures.item_measure(code)] for code in plan.items}
    out.update({name: n[name] for name in plan.pooled if name != "decision766"})
    out.update({code: n[measures.EXPECTATION + code] for code in plan.expectations})
    if measures.LATE in n:
        out["extra:late"] = out["extra:decision766"] = n[measures.LATE]
        if measures.APOLOGY in n:
            out["extra:apology"] = n[measures.APOLOGY]
    return cm.keys, out


def weights(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Per cell: design weight, respondents, agency."""
    cm = read(snap)
    return cm.keys["weight"].to_numpy(dtype=float), np.asarray(cm.count, dtype=float), cm.keys["agency"]
