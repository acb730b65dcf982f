"""Server-side login sessions and login throttling.

The browser's (signed) cookie holds a random session token; the database keeps only its keyed
hash, so a session ends for certain on logout or after the idle limit, on every instance.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import LoginAttempt, User, UserSession
from app.models.base import utcnow
from app.services import audit, users
from app.services.secrets import keyed_digest, new_token

IDLE = timedelta(minutes=30)
TOUCH_EVERY = timedelta(minutes=1)
WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 20


class LoginRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid" or "throttled"


def _failures(column, value) -> int:
    since = utcnow() - WINDOW
    return db.session.scalar(select(func.count(LoginAttempt.id)).where(
        column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since)) or 0


def authenticate(email: str, password: str, address: str) -> User:
    """The user for these credentials, or LoginRefused; every attempt is recorded."""
    email = (email or "").strip().lower()
    address_hash = keyed_digest(address or "-", "address")
    if (_failures(LoginAttempt.email, email) >= MAX_ACCOUNT_FAILURES
            or _failures(LoginAttempt.address_hash, address_hash) >= MAX_ADDRESS_FAILURES):
        raise LoginRefused("throttled")
    user = users.find_by_email(email)
    ok = user is not None and user.active and users.check_password(user, password)
    db.session.add(LoginAttempt(email=email[:254], address_hash=address_hash, success=ok))
    db.session.flush()
    if not ok:
        raise LoginRefused("invalid")
    user.last_login_at = utcnow()
    return user


def start(user: User) -> str:
    token = new_token()
    db.session.add(UserSession(token_hash=keyed_digest(token, "session"), user_id=user.id))
    db.session.flush()
    audit.record("auth.login", "user", user.id, user=user)
    return token


def resolve(token: str | None) -> User | None:
    """The user of a live session, refreshing its idle clock; None if ended or idle too long."""
    if not token:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == keyed_digest(token, "session")))
    now = utcnow()
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    if now - row.last_seen_at > IDLE:
        row.ended_at = now
        db.session.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return row.user


def end(token: str | None) -> None:
    if token:
        db.session.execute(update(UserSession).where(UserSession.token_hash == keyed_digest(token, "session"),
                                                     UserSession.ended_at.is_(None)).values(ended_at=utcnow()))


def end_all(user: User) -> None:
    """Used when an account is deactivated or its password changes."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.ended_at.is_(None)).values(ended_at=utcnow()))
