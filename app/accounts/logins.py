"""Server-side login sessions and login throttling.

The browser's (signed) cookie holds a random session token; the database keeps only its keyed
hash, so a session ends for certain on logout, after the idle limit or the absolute lifetime, on
every instance. API tokens belong to a session of their own and end with it.

Throttling slows guessing down without letting anyone lock a real user out: failures are counted
per (account, address) and per address, never per account alone, so an outsider's wrong
passwords cannot keep the owner out from the owner's own address. Past a few free failures each
further attempt must wait, the wait doubling up to the counting window; the refusal says how long.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.accounts import users
from app.extensions import db
from app.models import LoginAttempt, User, UserSession
from app.models.base import utcnow
from app.shared import audit
from app.shared.secrets import keyed_digest, new_token

TOUCH_EVERY = timedelta(minutes=1)
WINDOW = timedelta(minutes=15)
FREE_PAIR_FAILURES = 5  # per (account, address) before waits begin
FREE_ADDRESS_FAILURES = 20  # per address, whatever the account
FIRST_WAIT = timedelta(seconds=15)


class LoginRefused(Exception):
    def __init__(self, reason: str, retry_after: int = 0):
        super().__init__(reason)
        self.reason = reason  # "invalid" or "throttled"
        self.retry_after = retry_after  # seconds, when throttled


@dataclass(frozen=True)
class Login:
    user: User
    failures_since_last_login: int  # shown to the user: what happened to the account meanwhile


def _failures(*conditions) -> tuple[int, datetime | None]:
    since = utcnow() - WINDOW
    count, last = db.session.execute(select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
        *conditions, LoginAttempt.success.is_(False), LoginAttempt.at >= since)).one()
    return count or 0, last


def _wait(count: int, last: datetime | None, free: int) -> int:
    """Seconds still to wait after `count` failures, the last at `last` (0: may try now)."""
    if count < free or last is None:
        return 0
    remaining = (last + min(FIRST_WAIT * 2 ** (count - free), WINDOW) - utcnow()).total_seconds()
    return int(remaining) + 1 if remaining > 0 else 0


def address_key(address: str) -> str:
    return keyed_digest(address or "-", "address")


def authenticate(email: str, password: str, address: str, channel: str = "web") -> Login:
    """The login for these credentials, or LoginRefused; every attempt checked is recorded.

    The same for the login form and the API (`channel` only labels the audit record). An unknown
    account costs the same password hash as a known one, so timing does not tell which exist."""
    # NUL cannot be stored in PostgreSQL text and is in no address: record it as U+FFFD instead.
    email = (email or "").strip().lower()[:254].replace("\x00", "\ufffd")
    address_hash = address_key(address)
    wait = max(_wait(*_failures(LoginAttempt.email == email, LoginAttempt.address_hash == address_hash),
                     FREE_PAIR_FAILURES),
               _wait(*_failures(LoginAttempt.address_hash == address_hash), FREE_ADDRESS_FAILURES))
    if wait:
        raise LoginRefused("throttled", wait)
    user = users.find_by_email(email) if "\ufffd" not in email else None
    ok = users.verify_password(user, password) and user is not None and user.active
    db.session.add(LoginAttempt(email=email, address_hash=address_hash, success=ok))
    db.session.flush()
    if not ok:
        raise LoginRefused("invalid")
    since = user.last_login_at or user.created_at
    missed = db.session.scalar(select(func.count(LoginAttempt.id)).where(
        LoginAttempt.email == email, LoginAttempt.success.is_(False), LoginAttempt.at > since)) or 0
    user.last_login_at = utcnow()
    audit.record("auth.login", "user", user.id, user=user, after={"channel": channel, "address": address})
    return Login(user, missed)


def start(user: User) -> str:
    """A new session for the user: the token for the browser's cookie."""
    token = new_token()
    db.session.add(UserSession(token_hash=keyed_digest(token, "session"), user_id=user.id))
    db.session.flush()
    return token


def start_api(user: User) -> UserSession:
    """The session an API token belongs to (no cookie: only the token refers to it)."""
    row = UserSession(token_hash=keyed_digest(new_token(), "session"), user_id=user.id)
    db.session.add(row)
    db.session.flush()
    return row


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]))


@dataclass(frozen=True)
class Touch:
    """What a session's row needs written after the request that read it: its idle clock
    refreshed, or the session ended (``values``)."""

    session_id: int
    values: dict[str, datetime]


def resolve(token: str | None) -> tuple[User | None, Touch | None]:
    """The user of a live session, or None if ended, idle too long or older than the absolute
    lifetime; with the write its row needs (at most one a minute while it is in use).

    Nothing is written here: this runs inside the role check and the page's layout, in the middle
    of the view's own work, so the caller saves the touch when the request ends (``save``)."""
    if not token:
        return None, None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == keyed_digest(token, "session")))
    now = utcnow()
    if row is None or row.ended_at is not None or not row.user.active:
        return None, None
    idle, absolute = _limits()
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        return None, Touch(row.id, {"ended_at": now})
    if now - row.last_seen_at > TOUCH_EVERY:
        return row.user, Touch(row.id, {"last_seen_at": now})
    return row.user, None


def save(touch: Touch) -> None:
    """Write a touch in a transaction of its own, once the request is over: whatever the request
    left uncommitted is rolled back first (as ending the request would do), so that a view's
    half-done or failed work is never committed along with it."""
    db.session.rollback()
    db.session.execute(update(UserSession).where(UserSession.id == touch.session_id, UserSession.ended_at.is_(None))
                       .values(**touch.values))
    db.session.commit()


def end(token: str | None) -> None:
    if token:
        db.session.execute(update(UserSession).where(UserSession.token_hash == keyed_digest(token, "session"),
                                                     UserSession.ended_at.is_(None)).values(ended_at=utcnow()))


def end_session(session_id: int) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
