"""Reading the audit log: filters, pages and a CSV export."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from app.extensions import db
from app.models import AuditEvent
from app.services import cells
from app.services.agencies_admin import Page


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


def search(f: AuditFilter, page: int = 1, size: int = 100) -> Page:
    query = _query(f)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    items = db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                               .offset((page - 1) * size).limit(size)).all()
    return Page(list(items), total, page, size)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def object_types() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


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
