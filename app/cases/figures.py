"""Figures of feedback handling (PAKN) per unit and period, and Decision 766's group-5 indicators.

A case counts in a wave's figures by the day it was opened (period_start..period_end), for the
units of the wave's scope, whichever wave's questionnaire opened it (the figures are the unit's
handling over the period). The weekly on-time shares of the manager's page count a case in the ISO
week of its due date, once its timeliness is known. Per unit and for the whole province:

* ``received``: cases opened; ``refused``: closed without an answer (out of scope);
* ``answered``: with an answer date; ``on_time``: answered on or before its due date;
* ``overdue``: answered late, or still open past its due date on the reference day;
* ``pending``: open and not yet due (their timeliness is not known yet);
* ``on_time_share`` = on_time / (on_time + overdue): among the cases whose timeliness is known;
* ``classified_share``: cases the unit has taken up (left the state "new") among those it could
  (received, not refused);
* ``reopened``: cases the citizen reopened at least once;
* ``rated`` / ``satisfied``: the citizen's verdict on the handling; ``satisfied_rate`` with its
  confidence interval (analysis.intervals.proportion_ci, the wave's method and level; each case
  weighs 1, so the effective n is the number of rated cases, and the normal quantile is used).

Counts of cases are not answers and are always shown. The satisfaction rate is a citizen's answer:
it is not shown for fewer than MIN_GROUP_SIZE rated cases, nor for a unit whose rate, with the
province's and the other units', would give such a small group away (complementary suppression
along the one margin units → province; see app.results.disclosure for the rule).

Decision 766 (group 5, "satisfaction", 18 of 100 points) draws on complaint handling —
classification, on-time handling, satisfaction with handling — and on the per-case ratings. The
official split of those points is NOT confirmed by the official texts: the points of the three
PAKN parts are the setting CASE_D766_POINTS (default 3 + 3 + 3 = 9 of the 18; the other 9 belong
to the per-case ratings, shown beside), each part scored as its share × its points.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Agency
from app.models.case import FeedbackCase

OPEN_STATES = ("new", "assigned")
D766_PARTS = ("classification", "on_time", "satisfaction")
D766_DEFAULT_POINTS = {"classification": 3.0, "on_time": 3.0, "satisfaction": 3.0}
PROVINCE = None  # the ``agency`` of the whole-province row


@dataclass(frozen=True)
class Case:
    """What the figures read of a case (never its text, never a contact)."""

    id: int
    agency: str
    state: str
    category: str
    opened_on: date
    due_on: date
    answered_on: date | None
    reopened: int
    satisfied: bool | None

    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def refused(self) -> bool:
        return self.state == "closed" and self.answered_on is None

    def on_time(self) -> bool:
        return self.answered_on is not None and self.answered_on <= self.due_on

    def overdue(self, today: date) -> bool:
        if self.answered_on is not None:
            return self.answered_on > self.due_on
        return self.is_open() and today > self.due_on


def points_config() -> dict[str, float]:
    """CASE_D766_POINTS: points of each PAKN part (a configurable default, not an official split)."""
    configured = current_app.config.get("CASE_D766_POINTS") or {}
    return {part: float(configured.get(part, D766_DEFAULT_POINTS[part])) for part in D766_PARTS}


def load(agency_ids: Iterable[int] | None = None, start: date | None = None, end: date | None = None,
         active_since: date | None = None) -> list[Case]:
    """Cases opened between ``start`` and ``end`` (inclusive) of the given units (all if None);
    with ``active_since``, only those still open or due on or after that day."""
    query = select(FeedbackCase.id, Agency.code, FeedbackCase.state, FeedbackCase.category, FeedbackCase.opened_on,
                   FeedbackCase.due_on, FeedbackCase.answered_on, FeedbackCase.reopened,
                   FeedbackCase.satisfied).join(Agency, Agency.id == FeedbackCase.agency_id)
    if agency_ids is not None:
        query = query.where(FeedbackCase.agency_id.in_(list(agency_ids)))
    if start is not None:
        query = query.where(FeedbackCase.opened_on >= start)
    if end is not None:
        query = query.where(FeedbackCase.opened_on <= end)
    if active_since is not None:
        query = query.where(or_(FeedbackCase.state.in_(OPEN_STATES), FeedbackCase.due_on >= active_since))
    return [Case(*row) for row in db.session.execute(query.order_by(FeedbackCase.id))]


def tally(cases: Sequence[Case], today: date) -> dict:
    """The counts of a group of cases on the reference day ``today``."""
    received = len(cases)
    refused = sum(c.refused() for c in cases)
    on_time = sum(c.on_time() for c in cases)
    overdue = sum(c.overdue(today) for c in cases)
    rated = [c.satisfied for c in cases if c.satisfied is not None]
    eligible = received - refused
    return {"received": received, "refused": refused, "answered": sum(c.answered_on is not None for c in cases),
            "on_time": on_time, "overdue": overdue,
            "overdue_open": sum(c.is_open() and c.answered_on is None and today > c.due_on for c in cases),
            "pending": sum(c.is_open() and c.answered_on is None and today <= c.due_on for c in cases),
            "reopened": sum(c.reopened > 0 for c in cases), "rated": len(rated), "satisfied": sum(rated),
            "on_time_share": _share(on_time, on_time + overdue),
            "classified_share": _share(sum(c.state != "new" for c in cases if not c.refused()), eligible)}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def proportion(successes: int, n: int, *, method: str = "logit", level: float = 0.95) -> tuple[float, float, float]:
    """(rate, lower, upper) of successes among n cases of weight 1 (NaN for n = 0)."""
    from analysis.intervals import proportion_ci  # scipy: slow to import, only figures need it

    if n <= 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    lo, hi = proportion_ci(p, math.sqrt(p * (1 - p) / n), n=n, n_eff=n, method=method, level=level)
    return p, float(lo), float(hi)


def rows(cases: Sequence[Case], today: date, units: Sequence[str], *, method: str = "logit",
         level: float = 0.95, least: int | None = None, points: dict[str, float] | None = None) -> list[dict]:
    """One row per unit (in the order of ``units``) and the province's last (``agency`` None),
    satisfaction suppressed for small groups and their complements, with Decision 766 points."""
    least = current_app.config["MIN_GROUP_SIZE"] if least is None else least
    points = points or points_config()
    grouped: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        grouped[case.agency].append(case)
    out = [{"agency": code, **tally(grouped.get(code, []), today)} for code in units]
    out.append({"agency": PROVINCE, **tally(list(cases), today)})
    hidden = hidden_units(out[:-1], out[-1], least)
    for row in out:
        row["small"] = 0 < row["rated"] < least
        row["suppressed"] = row["rated"] == 0 or row["small"] or row["agency"] in hidden
        rate, lo, hi = proportion(row["satisfied"], row["rated"], method=method, level=level)
        row["satisfied_rate"], row["ci_lower"], row["ci_upper"] = (None, None, None) if row["suppressed"] else (rate, lo, hi)
        row.update(d766(row, points))
    return out


def hidden_units(units: list[dict], province: dict, least: int) -> set[str]:
    """Units whose satisfaction rate is hidden: fewer than ``least`` rated cases (primary), then,
    while the published province minus the published units gives the hidden ones away (hidden
    units rating fewer than ``least`` cases together), the next-smallest published unit too."""
    hidden = {u["agency"] for u in units if 0 < u["rated"] < least}
    province_shown = not (0 < province["rated"] < least)
    while province_shown and hidden:
        together = sum(u["rated"] for u in units if u["agency"] in hidden)
        if together >= least:
            break
        rest = sorted((u for u in units if u["agency"] not in hidden and u["rated"] > 0), key=lambda u: u["rated"])
        if not rest:
            break  # (cannot happen: the province would be below the threshold itself)
        hidden.add(rest[0]["agency"])
    return hidden


def d766(row: dict, points: dict[str, float]) -> dict:
    """Decision 766 group-5 PAKN parts: share × points each; the total only when every part is
    known and shown (a total with a hidden satisfaction rate would give the rate away)."""
    shares = {"classification": row["classified_share"], "on_time": row["on_time_share"],
              "satisfaction": row["satisfied_rate"]}
    parts = {part: None if shares[part] is None else shares[part] * points[part] for part in D766_PARTS}
    total = None if any(v is None for v in parts.values()) else sum(parts.values())
    return {"d766_parts": parts, "d766_points": total, "d766_max": sum(points.values())}


def wave_rows(wave, today: date) -> list[dict]:
    """The wave's units over its period (cases opened from period_start to period_end)."""
    units = list(wave.agencies)
    cases = load([a.id for a in units], wave.period_start, wave.period_end)
    settings = wave.estimation
    return rows(cases, today, [a.code for a in units], method=settings.ci, level=settings.level)


def iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_on_time(cases: Sequence[Case], today: date) -> dict[tuple[str, tuple[int, int]], tuple[int, int]]:
    """(on_time, known) per (unit, ISO week of the due date) over the cases whose timeliness is
    known on ``today`` (answered, or open past their due date); refused cases leave out."""
    out: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        if case.refused() or not (case.answered_on is not None or case.overdue(today)):
            continue
        cell = out[(case.agency, iso_week(case.due_on))]
        cell[0] += case.on_time()
        cell[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}
