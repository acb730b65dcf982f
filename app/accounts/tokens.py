"""Bearer tokens for officials and API keys for integrations.

Integration API keys (one-stop software calling POST /api/v1/invitations): create, revoke, list.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import logins
from app.errors import api_error
from app.extensions import db
from app.models import Agency, ApiKey, ApiToken, User
from app.models.base import utcnow
from app.shared import audit
from app.shared.refusal import Refusal
from app.shared.secrets import keyed_digest, new_token


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A bearer token in a login session of its own: it ends when that session ends (API logout,
    password change, deactivation) or when it expires."""
    token = new_token()
    row = ApiToken(token_hash=keyed_digest(token, "api-token"), user_id=user.id,
                   session_id=logins.start_api(user).id,
                   expires_at=utcnow() + timedelta(hours=current_app.config["API_TOKEN_HOURS"]))
    db.session.add(row)
    db.session.flush()
    return token, row


def log_in(email: object, password: object, address: str) -> tuple[str, ApiToken]:
    """The login form's throttle, checks and audit trail, for a bearer token (flushes; the caller
    commits, a refused attempt too: its record stays). Raises Refusal: 400 for missing strings,
    401 for a wrong email or password, 429 while throttled (with ``retry_after`` seconds)."""
    if not isinstance(email, str) or not isinstance(password, str):
        raise Refusal("email", "email and password are required strings")
    try:
        login = logins.authenticate(email, password, address, channel="api")
    except logins.LoginRefused as refused:
        if refused.reason != "throttled":
            raise Refusal("password", "wrong email or password", 401) from None
        throttled = Refusal("password", f"too many failed attempts: try again in {refused.retry_after} seconds",
                            429)
        throttled.retry_after = refused.retry_after
        raise throttled from None
    return issue_token(login.user)


def log_out(row: ApiToken) -> None:
    """The bearer token (and its login session) ends now; audited."""
    logins.end_session(row.session_id)
    audit.record("auth.logout", "user", row.user_id, user=row.user, after={"channel": "api"})


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


def list_keys() -> list[tuple[ApiKey, Agency | None]]:
    rows = db.session.execute(select(ApiKey, Agency).outerjoin(Agency, Agency.id == ApiKey.agency_id)
                              .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).all()
    return [(key, agency) for key, agency in rows]


def create(name: str, agency: Agency | None, actor: User | None = None,
           daily_limit: int | None = None) -> tuple[str, ApiKey]:
    """A new key (administrators only); ``daily_limit`` caps its invitations per UTC day."""
    name = name.strip()
    if not name:
        raise Refusal("name", _("must not be empty"))
    if daily_limit is not None and daily_limit < 1:
        raise Refusal("daily_limit", _("must be at least 1"))
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
