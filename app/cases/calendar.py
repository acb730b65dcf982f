"""The working-day calendar: Monday to Friday, minus public holidays, plus make-up Saturdays.

Deadlines of feedback cases count working days (15 to handle, 2 to refuse, 5 for documents). The
days that differ from Monday-Friday live in the Holiday table, which an administrator edits
(/admin/calendar); while that table is empty, the shipped data/holidays-vn.csv is the calendar.
Its `source` column says, for each day, whether it comes from a published decision or from the
rule of the Labour Code 2019 art. 112 (lunar dates, substitute days) before one is published.
"""
from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.case import HOLIDAY_KINDS, Holiday
from app.shared import audit
from app.shared.refusal import Refusal

SHIPPED = Path(__file__).resolve().parent / "data" / "holidays-vn.csv"
MAX_WORKING_DAYS = 3660  # no deadline is ten years of working days: refuse a runaway count


@dataclass(frozen=True)
class ShippedDay:
    day: date
    kind: str
    name_vi: str
    name_en: str
    source: str


def is_working_day(day: date, days: Mapping[date, str]) -> bool:
    kind = days.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def add_working_days(start: date, n: int, days: Mapping[date, str]) -> date:
    """The n-th working day after `start` (start itself never counts; n=0 gives `start`).

    Monday-Friday are working days unless days[d] == "holiday"; Saturday and Sunday are off
    unless days[d] == "workday" (a make-up day)."""
    if n < 0 or n > MAX_WORKING_DAYS:
        raise ValueError(f"n must be between 0 and {MAX_WORKING_DAYS}, not {n}")
    day, left = start, n
    while left:
        day += timedelta(days=1)
        if is_working_day(day, days):
            left -= 1
    return day


def working_days_between(start: date, end: date, days: Mapping[date, str]) -> int:
    """How many working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, days)
    return count


@functools.lru_cache(maxsize=1)
def shipped_days() -> tuple[ShippedDay, ...]:
    with SHIPPED.open(encoding="utf-8", newline="") as handle:
        rows = [ShippedDay(date.fromisoformat(r["day"]), r["kind"], r["name_vi"], r["name_en"], r["source"])
                for r in csv.DictReader(handle)]
    bad = [r for r in rows if r.kind not in HOLIDAY_KINDS]
    if bad:
        raise RuntimeError(f"{SHIPPED}: unknown kind on {bad[0].day}")
    return tuple(rows)


def special_days() -> dict[date, str]:
    """{day: "holiday" | "workday"} from the Holiday table, or the shipped CSV while it is empty."""
    rows = db.session.execute(select(Holiday.day, Holiday.kind)).all()
    if rows:
        return {day: kind for day, kind in rows}
    return {row.day: row.kind for row in shipped_days()}


def load_shipped() -> int:
    """Copy the shipped calendar into the empty Holiday table (flushes; the caller commits).
    Returns how many days were added (0 when the table already has days)."""
    if db.session.scalar(select(Holiday.day).limit(1)) is not None:
        return 0
    for row in shipped_days():
        db.session.add(Holiday(day=row.day, kind=row.kind, name_vi=row.name_vi, name_en=row.name_en))
    db.session.flush()
    return len(shipped_days())


def due(start: date, n: int) -> date:
    return add_working_days(start, n, special_days())


def today() -> date:
    """Today's date where the units work (BABEL_DEFAULT_TIMEZONE, Asia/Ho_Chi_Minh)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")
    return datetime.now(zone).date()


def days_in(year: int) -> list[Holiday]:
    """The special days of one year as the calendar uses them (the table, else the shipped file)."""
    rows = list(db.session.scalars(select(Holiday).where(Holiday.day >= date(year, 1, 1),
                                                         Holiday.day <= date(year, 12, 31)).order_by(Holiday.day)))
    if rows or db.session.scalar(select(Holiday.day).limit(1)) is not None:
        return rows
    return [Holiday(day=r.day, kind=r.kind, name_vi=r.name_vi, name_en=r.name_en)
            for r in shipped_days() if r.day.year == year]


def shipped_source(day: date) -> str | None:
    """Where the shipped file says a day comes from (a published decision or the rule)."""
    return next((r.source for r in shipped_days() if r.day == day), None)


def set_day(day: date, kind: str, name_vi: str, name_en: str, actor: User | None) -> Holiday:
    """Add or change one special day (flushes; audited as "calendar.set"). The first edit copies
    the shipped calendar into the table, so that editing one day never drops the others."""
    if kind not in HOLIDAY_KINDS:
        raise Refusal("kind", _("choose a day off or a working day"))
    if kind == "holiday" and day.weekday() >= 5:
        raise Refusal("day", _("%(day)s is a weekend day: a day off on a weekend changes nothing; enter the weekday given in its place", day=day.isoformat()))
    if kind == "workday" and day.weekday() < 5:
        raise Refusal("day", _("%(day)s is a weekday: it is a working day already", day=day.isoformat()))
    if not (name_vi or "").strip():
        raise Refusal("name_vi", _("give the day a name"))
    load_shipped()
    row = db.session.get(Holiday, day)
    before = {"kind": row.kind, "name_vi": row.name_vi} if row is not None else None
    if row is None:
        row = Holiday(day=day)
        db.session.add(row)
    row.kind, row.name_vi, row.name_en = kind, name_vi.strip()[:200], (name_en or "").strip()[:200]
    db.session.flush()
    audit.record("calendar.set", "holiday", day.isoformat(), user=actor, before=before,
                 after={"kind": kind, "name_vi": row.name_vi})
    return row


def remove_day(day: date, actor: User | None) -> None:
    """Make `day` an ordinary day again (flushes; audited as "calendar.remove")."""
    load_shipped()
    row = db.session.get(Holiday, day)
    if row is None:
        raise Refusal("day", _("%(day)s is not in the calendar", day=day.isoformat()), 404)
    before = {"kind": row.kind, "name_vi": row.name_vi}
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar.remove", "holiday", day.isoformat(), user=actor, before=before)
