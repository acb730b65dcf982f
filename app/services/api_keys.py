"""Integration API keys (one-stop software calling POST /api/v1/invitations): create, revoke, list."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.api.auth import create_api_key
from app.extensions import db
from app.models import Agency, ApiKey, User
from app.models.base import utcnow
from app.services import audit
from app.services.admin_errors import AdminError


def list_keys() -> list[tuple[ApiKey, Agency | None]]:
    rows = db.session.execute(select(ApiKey, Agency).outerjoin(Agency, Agency.id == ApiKey.agency_id)
                              .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).all()
    return [(key, agency) for key, agency in rows]


def create(name: str, agency: Agency | None, actor: User | None = None,
           daily_limit: int | None = None) -> tuple[str, ApiKey]:
    """A new key (administrators only); ``daily_limit`` caps its invitations per UTC day."""
    name = name.strip()
    if not name:
        raise AdminError("name", _("must not be empty"))
    if daily_limit is not None and daily_limit < 1:
        raise AdminError("daily_limit", _("must be at least 1"))
    raw, row = create_api_key(name[:200], agency.id if agency else None)
    row.daily_limit = daily_limit
    db.session.flush()
    audit.record("api_key.create", "api_key", row.id, user=actor,
                 after={"name": row.name, "agency": agency.code if agency else None, "daily_limit": daily_limit})
    return raw, row


def revoke(key: ApiKey, actor: User | None = None) -> None:
    if key.revoked_at is not None:
        return
    key.revoked_at = utcnow()
    db.session.flush()
    audit.record("api_key.revoke", "api_key", key.id, user=actor, after={"name": key.name})
