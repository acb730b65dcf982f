"""Caps and per-account limits on whatever creates responses or the means to create them.

An agency was able to multiply its own responses by keying forms, issuing kiosk keys and
invitations in bulk. Besides moving those actions to administrators (app/accounts/access.py), every
batch is capped (``MAX_INVITATIONS_PER_BATCH``), each signed-in account is rate limited on its
own (``RATE_LIMIT_ISSUE``, ``RATE_LIMIT_PAPER``: counted per account, not per address, so that
one desk's shared address neither hides nor blocks anybody), and each integration key is rate
limited per key (``RATE_LIMIT_INTEGRATION``) and capped per UTC day (``API_KEY_DAILY_INVITATIONS``
or the key's own ``daily_limit``).
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app, request
from flask_limiter.util import get_remote_address
from sqlalchemy import and_, case, or_, select, update

from app.accounts.access import current_user
from app.extensions import db
from app.models import ApiKey
from app.shared.refusal import Refusal
from app.shared.secrets import keyed_digest


def batch_cap() -> int:
    return int(current_app.config["MAX_INVITATIONS_PER_BATCH"])


def account_key() -> str:
    """Rate-limit key of the signed-in account (the address when nobody is signed in)."""

    user = current_user()
    return f"account:{user.id}" if user is not None else f"address:{get_remote_address()}"


def integration_key() -> str:
    """Rate-limit key of the valid integration key sent with the request (never the raw key).

    A missing, unknown or revoked key counts against the client's address instead: guessing
    keys must not get a fresh allowance with every guess.
    """
    raw = request.headers.get("X-API-Key", "").strip()
    if not raw:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        raw = value.strip() if scheme.lower() == "bearer" else ""
    digest = keyed_digest(raw, "api-key") if raw and len(raw) <= 200 else None
    valid = digest is not None and db.session.scalar(
        select(ApiKey.id).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))) is not None
    return f"api-key:{digest[:32]}" if valid else f"address:{get_remote_address()}"


def daily_limit(key: ApiKey) -> int:
    return key.daily_limit if key.daily_limit is not None else int(current_app.config["API_KEY_DAILY_INVITATIONS"])


def claim_daily(key: ApiKey, count: int = 1) -> None:
    """Count ``count`` invitations against the key's quota for today, or refuse.

    One conditional UPDATE: concurrent requests cannot overshoot the cap (the row lock orders
    them), and the count is rolled back with the invitation if the request fails.
    """
    today = datetime.now(UTC).date()
    limit = daily_limit(key)
    table = ApiKey.__table__
    same_day = table.c.quota_day == today
    done = db.session.execute(
        update(table).where(table.c.id == key.id, or_(
            and_(same_day, table.c.quota_used + count <= limit),
            and_(or_(table.c.quota_day.is_(None), table.c.quota_day != today), count <= limit)))
        .values(quota_used=case((same_day, table.c.quota_used + count), else_=count), quota_day=today)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        reached = f"the limit is reached for {today.isoformat()}"
        raise Refusal("X-API-Key", f"this integration key may create at most {limit} invitations a day (UTC); "
                                   + reached, 429)  # the API's message


def used_today(key: ApiKey, today: date | None = None) -> int:
    today = today or datetime.now(UTC).date()
    return key.quota_used if key.quota_day == today else 0
