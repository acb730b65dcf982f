"""Bearer tokens for officials and API keys for integrations."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import select

from app.errors import api_error
from app.extensions import db
from app.models import ApiKey, ApiToken, User
from app.models.base import utcnow
from app.services import sessions
from app.services.secrets import keyed_digest, new_token


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A bearer token in a login session of its own: it ends when that session ends (API logout,
    password change, deactivation) or when it expires."""
    token = new_token()
    row = ApiToken(token_hash=keyed_digest(token, "api-token"), user_id=user.id,
                   session_id=sessions.start_api(user).id,
                   expires_at=utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def token_from_request() -> ApiToken | None:
    """The live API token of the request's bearer header, if any."""
    token = _bearer()
    if not token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == keyed_digest(token, "api-token")))
    if row is None or row.expires_at < utcnow() or not row.user.active:
        return None
    if row.session_id is None or row.session is None or row.session.ended_at is not None:
        return None  # tokens from before sessions were bound, or whose session has ended
    return row


def user_from_token() -> User | None:
    row = token_from_request()
    return row.user if row is not None else None


def token_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = user_from_token()
            if user is None:
                return api_error(401, "a valid bearer token is required (POST /api/v1/auth/token)",
                                 "Authorization")
            if roles and user.role not in roles:
                return api_error(403, "this account may not use this endpoint", "Authorization")
            g.api_user = user
            return view(*args, **kwargs)
        return wrapped
    return decorator


def api_key_from_request() -> ApiKey | None:
    key = request.headers.get("X-API-Key", "").strip() or _bearer()
    if not key:
        return None
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == keyed_digest(key, "api-key")))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    return row


def create_api_key(name: str, agency_id: int | None = None) -> tuple[str, ApiKey]:
    key = new_token()
    row = ApiKey(key_hash=keyed_digest(key, "api-key"), name=name, agency_id=agency_id)
    db.session.add(row)
    db.session.flush()
    return key, row
