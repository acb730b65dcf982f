"""Reading the audit log: filters, pages and a CSV export."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from app.extensions import db
from app.models import AuditEvent
from app.shared import cells
from app.shared.paging import PAGE_SIZE, Page, paginate


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None


def _query(f: AuditFilter) -> Select:
    query = select(AuditEvent)
    if f.action:
        query = query.where(AuditEvent.action.like(f"{f.action}%"))
    if f.actor:
        query = query.where(func.lower(AuditEvent.actor).like(f"%{f.actor.lower()}%"))
    if f.object_type:
        query = query.where(AuditEvent.object_type == f.object_type)
    if f.object_id:
        query = query.where(AuditEvent.object_id == f.object_id)
    if f.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        query = query.where(AuditEvent.at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    return query


def search(f: AuditFilter, page: int = 1, size: int = PAGE_SIZE) -> Page:
    return paginate(_query(f).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()), page, size)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def object_types() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


@dataclass(frozen=True)
class Change:
    """One field of an audit event: its value before and after (None = absent).

    For a list on both sides only the items `added` and `removed` are given (a wave's forty
    agencies are not repeated to show the one that joined)."""

    field: str
    old: str | None
    new: str | None
    added: str = ""
    removed: str = ""

    @property
    def is_list(self) -> bool:
        return bool(self.added or self.removed)


_SHOWN = 240  # a value longer than this is cut on the page; the CSV export keeps it whole


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


def _show(value) -> str:
    """A value as a person reads it: real Vietnamese letters, lists joined, long text cut."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = "—"
    elif isinstance(value, bool):
        text = json.dumps(value)
    elif _scalars(value):
        text = ", ".join(str(v) for v in value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _cut(text)


def _scalars(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value)


def _fields(state) -> dict:
    if state is None:
        return {}
    return state if isinstance(state, dict) else {"value": state}


def _pair(field: str, a, b, missing) -> list[Change]:
    if isinstance(a, dict) and isinstance(b, dict):  # settings and the like: one line per inner key
        return changes(a, b, prefix=f"{field}.")
    if _scalars(a) and _scalars(b):
        added = [str(v) for v in b if v not in a]
        removed = [str(v) for v in a if v not in b]
        if added or removed:
            return [Change(field, _show(a), _show(b), _cut(", ".join(added)), _cut(", ".join(removed)))]
    return [Change(field, None if a is missing else _show(a), None if b is missing else _show(b))]


def changes(before, after, prefix: str = "") -> list[Change]:
    """The fields that differ between `before` and `after`, one per line, in key order.

    A field only in `after` was set (old is None), one only in `before` was removed (new is None);
    fields with the same value on both sides are left out, so an update shows what it changed.
    """
    old, new = _fields(before), _fields(after)
    missing = object()
    rows: list[Change] = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key, missing), new.get(key, missing)
        if a != b:
            rows.extend(_pair(f"{prefix}{key}", a, b, missing))
    return rows


def _dump(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def export_csv(f: AuditFilter) -> str:
    out = io.StringIO()
    writer = cells.writer(out)  # text made inert for spreadsheets
    writer.writerow(["at_utc", "actor", "action", "object_type", "object_id", "before", "after"])
    for event in db.session.scalars(_query(f).order_by(AuditEvent.at, AuditEvent.id)).yield_per(1000):
        writer.writerow([event.at.isoformat(timespec="seconds"), event.actor, event.action, event.object_type,
                         event.object_id or "", _dump(event.before), _dump(event.after)])
    return out.getvalue()
