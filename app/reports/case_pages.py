"""Feedback handling (PAKN) on the pages and in the API: the figures of app.cases.figures for a
wave and an agency, and the manager's page (overdue and due-soon cases, units below the on-time
target, week-on-week change of the on-time share with its uncertainty).

Nothing here reads a case's contact, text or answer: only dates, states and the citizen's verdict.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.cases import calendar, figures
from app.extensions import db
from app.i18n import current_language
from app.models import Agency, User, Wave
from app.reports.lookups import STAFF
from app.results import disclosure

WINDOW_WEEKS = 4  # the manager's page judges units on the cases due in the last four ISO weeks
CHANGE_LEVEL = 0.95  # week-on-week arrows: as the trends' arrows (dashboard/_macros.html CHANGE_LEVEL)
API_FIELDS = ("agency", "received", "answered", "on_time", "overdue", "reopened", "refused", "rated",
              "satisfied_rate", "ci_lower", "ci_upper", "suppressed", "d766_points")


def today() -> date:
    """Today where the units work (app.cases.calendar.today; tests replace it)."""
    return calendar.today()


def wave_section(wave: Wave) -> dict:
    """The wave's PAKN rows (units, then the province) and what the template needs to read them."""
    on, lang = today(), current_language()
    return {"rows": figures.wave_rows(wave, on), "points": figures.points_config(), "today": on,
            "names": {a.code: a.name(lang) for a in wave.agencies},
            "min_group": disclosure.minimum(), "level": wave.estimation.level}


def agency_section(wave: Wave, agency: Agency) -> dict:
    """The agency's row and the province's, over the wave's period."""
    section = wave_section(wave)
    section["rows"] = [r for r in section["rows"] if r["agency"] in (agency.code, figures.PROVINCE)]
    return section


def api_rows(wave: Wave, user: User) -> list[dict]:
    """The "cases" key of GET /api/v1/waves/<slug>/estimates: an agency's token gets its own
    row only (never the province's), staff every unit's and the province's (agency null)."""
    rows = figures.wave_rows(wave, today())
    if user.role not in STAFF:
        code = user.agency.code if user.agency else object()
        rows = [r for r in rows if r["agency"] == code]
    return [{k: _clean(r[k]) for k in API_FIELDS} for r in rows]


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def visible_units(user: User) -> list[Agency]:
    if user.role in STAFF:
        on = today()
        query = select(Agency).order_by(Agency.code)
        return [a for a in db.session.scalars(query) if a.valid_to is None or a.valid_to >= on]
    return [user.agency] if user.agency is not None else []


def manager_page(user: User) -> dict:
    on = today()
    units = visible_units(user)
    names = {a.code: a for a in units}
    window = _window(on)
    since = date.fromisocalendar(*window[0], 1)
    cases = figures.load(None if user.role in STAFF else [a.id for a in units], active_since=since)
    cases = [c for c in cases if c.agency in names]  # (staff: units that have not ended)
    remind = int(current_app.config.get("CASE_REMIND_DAYS", 2))
    soon = calendar.due(on, remind)  # the working-day calendar: weekends, holidays, swapped days
    waiting = [c for c in cases if c.is_open() and c.answered_on is None]
    overdue = sorted((c for c in waiting if c.due_on < on), key=lambda c: (c.due_on, c.id))
    due_soon = sorted((c for c in waiting if on <= c.due_on <= soon), key=lambda c: (c.due_on, c.id))
    target = float(current_app.config.get("CASE_ON_TIME_TARGET", 0.9))
    weekly = figures.weekly_on_time(cases, on)
    active = {agency for agency, week in weekly if week in window}  # a case of known timeliness lately
    units_table = unit_table([a.code for a in units if a.code in active], weekly, window, target)
    return {"today": on, "soon": soon, "remind_days": remind, "target": target, "names": names,
            "overdue": [_case_row(c, on) for c in overdue], "due_soon": [_case_row(c, on) for c in due_soon],
            "units": units_table, "below": [u for u in units_table if u["below"]], "window": window,
            "change_level": CHANGE_LEVEL, "is_staff": user.role in STAFF}


def _window(on: date) -> list[tuple[int, int]]:
    """The ISO weeks judged, oldest first, ending with the reference day's week."""
    start = figures.week_start(on)
    return [figures.iso_week(start - timedelta(weeks=k)) for k in reversed(range(WINDOW_WEEKS))]


def _case_row(case: figures.Case, on: date) -> dict:
    return {"id": case.id, "agency": case.agency, "category": case.category, "state": case.state,
            "opened_on": case.opened_on, "due_on": case.due_on, "days_late": max((on - case.due_on).days, 0)}


def unit_table(codes: list[str], weekly: dict, window: list[tuple[int, int]], target: float) -> list[dict]:
    """Per unit: on-time share over the window with its interval (below target when its estimate
    is), and this week's share against last week's: difference, its interval and an arrow when the
    change is significant (two independent proportions, Holm-adjusted across the units)."""
    from analysis.ranking import compare  # scipy: slow to import, only figures need it

    previous, current = window[-2], window[-1]
    out = []
    for code in codes:
        on_time = sum(weekly.get((code, w), (0, 0))[0] for w in window)
        known = sum(weekly.get((code, w), (0, 0))[1] for w in window)
        rate, lo, hi = figures.proportion(on_time, known)
        now, before = weekly.get((code, current), (0, 0)), weekly.get((code, previous), (0, 0))
        out.append({"agency": code, "on_time": on_time, "known": known, "share": None if not known else rate,
                    "ci_lower": None if not known else lo, "ci_upper": None if not known else hi,
                    "below": bool(known) and rate < target, "now": now, "before": before,
                    "difference": None, "diff_lower": None, "diff_upper": None, "arrow": None})
    compared = [u for u in out if u["now"][1] and u["before"][1]]
    if compared:
        p1 = [u["now"][0] / u["now"][1] for u in compared]
        p2 = [u["before"][0] / u["before"][1] for u in compared]
        n1 = [u["now"][1] for u in compared]
        n2 = [u["before"][1] for u in compared]
        se1 = [math.sqrt(p * (1 - p) / n) for p, n in zip(p1, n1, strict=True)]
        se2 = [math.sqrt(p * (1 - p) / n) for p, n in zip(p2, n2, strict=True)]
        result = compare(p1, se1, p2, se2, level=CHANGE_LEVEL, adjust="holm", n_eff1=n1, n_eff2=n2)
        for unit, row in zip(compared, result.to_dict(orient="records"), strict=True):
            unit["difference"], unit["diff_lower"], unit["diff_upper"] = (
                row["difference"], row["ci_lower"], row["ci_upper"])
            if row["p_adjusted"] < 1 - CHANGE_LEVEL:
                unit["arrow"] = "up" if row["difference"] > 0 else "down"
    return out
