from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User


def record(action: str, object_type: str, object_id: Any = None, *, user: User | None = None,
           actor: str | None = None, before: dict | None = None, after: dict | None = None) -> AuditEvent:
    event = AuditEvent(
        action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        user_id=user.id if user else None,
        actor=actor or (user.email if user else "system"),
        before=before, after=after,
    )
    db.session.add(event)
    db.session.flush()
    return event
