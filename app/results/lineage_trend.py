"""A unit's figures across waves on today's organisation: its own waves (``direct``), and before it
existed, its predecessors' respondents (app.programme.lineage).

- ``reaggregated``: the unit comes from whole old units (composed shares all 1, e.g. a merge).
  The point is the estimate over the predecessors' respondents pooled, with their weights and
  their strata (the old units stay strata): a domain of the wave's cells, or of the cells of
  the waves of one period stacked (several old provinces surveyed separately) when none of them
  is raked. It is exact: the same ratio estimator and linearized variance as any domain.
- ``modelled``: the unit received parts of old units (a split) or the waves cannot be pooled.
  The point combines the predecessors' published estimates R_j with weights c_j = s_j·W_j / Σ s·W
  (s_j the composed share, W_j the predecessor's total design weight): R = Σ c_j R_j, SE² = Σ c_j²
  SE_j² (separate strata, independent); it assumes the part of an old unit that went to the new
  one was as satisfied as the whole old unit.

Waves of the same period (start and end) form one point. A point any of whose predecessors lacks
data in that period is left out (it would describe part of the unit); a point any of whose
predecessors is suppressed in its wave is suppressed too (together with the other published
figures it could give that predecessor away).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import numpy as np
import pandas as pd

from app.models import Agency, Wave
from app.programme import lineage, reorganise
from app.programme.questionnaires import questionnaire_of
from app.results import design, disclosure, estimates, overview, rolled, snapshot, trends
from app.results.snapshot import Snapshot

BASES = ("direct", "reaggregated", "modelled")
FIELDS = ("wave", "period_end", "rate", "se", "ci_lower", "ci_upper", "n", "basis")


def known_measures(agency: Agency) -> list[str]:
    """The measures a trend can follow: overall, then the factors and criteria of the
    questionnaires of the waves the unit or its predecessors were in."""
    edges = reorganise.edges()
    family = {agency.code} | lineage.ancestors(agency.code, edges)
    out = ["overall"]
    for wave in trends.ordered_waves():
        if family & {a.code for a in wave.agencies}:
            questionnaire = questionnaire_of(wave.survey_version)
            out += [m for m in (*questionnaire.factor_items(), *questionnaire.rated_items) if m not in out]
    return out


def rounds(waves: list[Wave] | None = None) -> list[list[Wave]]:
    """The waves grouped by period (start and end), in order: one point of a trend each."""
    out: dict[tuple[date, date], list[Wave]] = defaultdict(list)
    for wave in trends.ordered_waves() if waves is None else waves:
        out[(wave.period_start, wave.period_end)].append(wave)
    return list(out.values())


def trend(agency: Agency, measure: str = "overall", *, edges: list | None = None,
          periods: list[list[Wave]] | None = None, snaps: dict[int, Snapshot] | None = None,
          plan: dict | None = None) -> dict:
    """{"agency", "measure", "points": [...FIELDS, "suppressed"], "breaks": [dates]}. ``edges``,
    ``periods``, ``snaps`` (wave id -> snapshot) and ``plan`` (see _pooled) may be given when
    many units are asked for."""
    edges = reorganise.edges() if edges is None else edges
    snaps = {} if snaps is None else snaps

    def snap_of(wave: Wave) -> Snapshot:
        if wave.id not in snaps:
            snaps[wave.id] = snapshot.current(wave)
        return snaps[wave.id]

    points = []
    for waves in rounds() if periods is None else periods:
        own = [w for w in waves if agency.code in {a.code for a in w.agencies}]
        if own:
            points += [p for w in own if (p := _direct(snap_of(w), agency.code, measure))]
            continue
        present = {a.code: w for w in waves for a in w.agencies}
        missing: list[str] = []
        shares = lineage.ancestry(agency.code, edges, stop=present.__contains__, missing=missing)
        if not shares or missing:
            continue
        point = _from_predecessors(shares, present, measure, snap_of, plan)
        if point is not None:
            points.append(point)
    return {"agency": agency.code, "measure": measure, "points": points,
            "breaks": [d.isoformat() for d in lineage.breaks(agency.code, edges)]}


def _row(snap: Snapshot, code: str, measure: str) -> dict | None:
    table = estimates.protected(snap, ["agency"])
    rows = table[(table["agency"] == code) & (table["measure"] == measure)]
    return rows.iloc[0].to_dict() if len(rows) else None


def _point(waves: list[Wave], basis: str, row: dict | None, suppressed: bool = False) -> dict | None:
    if row is None or not row.get("n"):
        return None
    hidden = suppressed or bool(row.get("suppressed")) or disclosure.too_small(row["n"])
    figures = {k: (None if hidden or _missing(row.get(k)) else float(row[k])) for k in ("rate", "se", "ci_lower",
                                                                                        "ci_upper")}
    return {"wave": "+".join(w.slug for w in waves), "period_end": max(w.period_end for w in waves).isoformat(),
            **figures, "n": int(row["n"]), "basis": basis, "suppressed": hidden}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _direct(snap: Snapshot, code: str, measure: str) -> dict | None:
    return _point([snap.wave], "direct", _row(snap, code, measure))


def _from_predecessors(shares: dict[str, float], present: dict[str, Wave], measure: str, snap_of,
                       plan: dict | None = None) -> dict | None:
    waves = sorted({present[c].id: present[c] for c in shares}.values(), key=lambda w: w.id)
    snaps = {w.id: snap_of(w) for w in waves}
    rows = {c: _row(snaps[present[c].id], c, measure) for c in shares}
    if any(r is None for r in rows.values()):
        return None  # (the measure is not asked in some predecessor's wave)
    hidden = any(bool(r["suppressed"]) for r in rows.values() if r["n"])
    if lineage.is_exact(shares) and _poolable(waves):
        row = _pooled([snaps[w.id] for w in waves], set(shares), measure, plan)
        return _point(waves, "reaggregated", row, suppressed=hidden)
    return _point(waves, "modelled", _combined(snaps, present, shares, rows), suppressed=hidden)


def _poolable(waves: list[Wave]) -> bool:
    """Waves whose cells can be stacked into one design: one wave, or none raked and all on one
    questionnaire version's layout."""
    if len(waves) == 1:
        return True
    unraked = all(design.options(w)["margins"] is None for w in waves)
    return unraked and len({w.survey_version_id for w in waves}) == 1


def _pooled(snaps: list[Snapshot], codes: set[str], measure: str, plan: dict | None = None) -> dict | None:
    """The estimate over the respondents of ``codes``: a domain of the (stacked) cells.

    ``plan`` (optional, shared by the units of one page) holds per set of waves the groups of old
    units to pool (agency -> group label): every group of those waves is then one domain of a
    single computation, kept in the plan for the next unit."""
    from analysis.moments import CellMoments  # scipy: slow to import, only figures need it

    label = "+".join(sorted(codes))
    key = tuple(s.key for s in snaps)
    plan = {} if plan is None else plan
    groups, tables = plan.setdefault(("groups", key), {}), plan.setdefault("tables", {})
    if label not in set(groups.values()):
        groups.update(dict.fromkeys(codes, label))
        tables.pop(key, None)
    if key not in tables:
        parts = []
        for snap in snaps:
            cm = rolled.read(snap)
            keys = cm.keys.assign(_pooled=cm.keys["agency"].map(groups).fillna("-").astype(object))
            parts.append(type(cm)(keys, cm.count, cm.measures, cm.m, cm.cross_items, cm.cross))
        if len(parts) > 1:  # key columns only some waves have (a nonresponse adjustment's funnel
            # cell, raking variables) are left out: each cell's weight is worked out already
            common = [c for c in parts[0].keys.columns if all(c in p.keys.columns for p in parts)]
            parts = [type(p)(p.keys[common], p.count, p.measures, p.m, p.cross_items, p.cross) for p in parts]
        cm = parts[0] if len(parts) == 1 else CellMoments.concat(parts)
        newest = max((s.wave for s in snaps), key=lambda w: (w.period_end, w.id))
        tables[key] = estimates.from_cells(newest, cm, ["_pooled"])[0]
    table = tables[key]
    rows = table[(table["_pooled"] == label) & (table["measure"] == measure)]
    return rows.iloc[0].to_dict() if len(rows) else None


def _combined(snaps: dict[int, Snapshot], present: dict[str, Wave], shares: dict[str, float],
              rows: dict[str, dict]) -> dict | None:
    """Σ c_j R_j with c_j ∝ share × the predecessor's total design weight (module docstring)."""
    from analysis.intervals import proportion_ci  # scipy: slow to import, only figures need it

    totals = {}
    for code in shares:
        weight, count, agencies = rolled.weights(snaps[present[code].id])
        totals[code] = float((weight * count)[(agencies == code).to_numpy()].sum())
    used = [c for c in shares if rows[c]["n"] and not _missing(rows[c]["rate"])]
    if not used:
        return {"n": sum(int(rows[c]["n"] or 0) for c in shares), "rate": None, "suppressed": True}
    mass = np.array([shares[c] * totals[c] for c in used])
    c = mass / mass.sum()
    rate = float(np.dot(c, [rows[u]["rate"] for u in used]))
    se = float(np.sqrt(np.dot(c ** 2, [rows[u]["se"] ** 2 for u in used])))
    n = int(sum(rows[u]["n"] for u in used))
    wave = max((present[u] for u in used), key=lambda w: (w.period_end, w.id))
    settings = wave.estimation
    lo, hi = proportion_ci(rate, se, df=max(n - len(used), 1), n=n,
                           n_eff=sum(float(rows[u]["n_eff"]) for u in used), method=settings.ci,
                           level=settings.level)
    return {"n": n, "rate": rate, "se": se, "ci_lower": float(lo), "ci_upper": float(hi), "suppressed": False}


def province(measure: str, periods: list[list[Wave]] | None = None) -> list[dict]:
    """The whole province per period: one wave's own figure (direct), or the waves of one period
    pooled (several old provinces surveyed separately, now one: reaggregated) when they can be."""
    points = []
    for waves in rounds() if periods is None else periods:
        snaps = [snapshot.current(w) for w in waves]
        if len(waves) == 1:
            table = estimates.protected(snaps[0], [])
            rows = table[table["measure"] == measure]
            point = _point(waves, "direct", rows.iloc[0].to_dict() if len(rows) else None)
        elif _poolable(waves):
            codes = {a.code for w in waves for a in w.agencies}
            point = _point(waves, "reaggregated", _pooled(snaps, codes, measure))
        else:
            point = None
        if point is not None:
            points.append(point)
    return points


def table(result: dict | list[dict], series: str, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The points (of a trend, or a list of them) as the trend tables have them (trends.COLUMNS +
    basis and period_end), suppressed ones left out; ``labels``: wave slug -> name."""
    labels = labels or {}
    points = result["points"] if isinstance(result, dict) else result
    rows = [{"wave": p["wave"], "wave_label": " + ".join(labels.get(s, s) for s in p["wave"].split("+")),
             "series": series, "n": p["n"], "rate": p["rate"], "se": p["se"], "ci_lower": p["ci_lower"],
             "ci_upper": p["ci_upper"], "basis": p["basis"], "period_end": p["period_end"]}
            for p in points if not p["suppressed"]]
    return pd.DataFrame(rows, columns=[*trends.COLUMNS[:8], "basis", "period_end"])


def _plan(units: list[Agency], periods: list[list[Wave]], edges: list, snaps: dict[int, Snapshot]) -> dict:
    """Every group of old units pooled for ``units``, per set of waves (see _pooled): one
    computation per set instead of one per unit."""
    plan: dict = {"tables": {}}
    for waves in periods:
        present = {a.code: w for w in waves for a in w.agencies}
        for unit in units:
            if unit.code in present:
                continue
            missing: list[str] = []
            shares = lineage.ancestry(unit.code, edges, stop=present.__contains__, missing=missing)
            used = sorted({present[c].id: present[c] for c in shares}.values(), key=lambda w: w.id)
            if shares and not missing and lineage.is_exact(shares) and _poolable(used):
                key = tuple(snaps[w.id].key for w in used)
                plan.setdefault(("groups", key), {}).update(dict.fromkeys(shares, "+".join(sorted(shares))))
    return plan


def province_and_agencies(units: list[tuple[Agency, str]], province_label: str, labels: dict[str, str]) -> dict:
    """{'province', 'agencies': tables with changes marked, 'breaks': reorganisation dates}: the
    province per period and each of ``units`` (today's) on today's organisation."""
    periods = rounds()
    edges = reorganise.edges()
    snaps = {w.id: snapshot.current(w) for waves in periods for w in waves}
    measure = overview.measure_ranked(periods[-1][-1]) if periods else "overall"
    whole = trends.mark_changes(table(province(measure, periods), province_label, labels))
    plan = _plan([a for a, _name in units], periods, edges, snaps)
    parts = [table(trend(a, measure, edges=edges, periods=periods, snaps=snaps, plan=plan), name, labels)
             .assign(agency=a.code)
             for a, name in units]
    parts = [p for p in parts if len(p)]
    each = trends.mark_changes(pd.concat(parts, ignore_index=True)) if parts else \
        pd.DataFrame(columns=[*trends.COLUMNS, "basis", "period_end", "agency"])
    return {"province": whole, "agencies": each, "breaks": sorted({e.effective_on.isoformat() for e in edges})}
