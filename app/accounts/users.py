"""Accounts as administrators manage them: create, change role or agency, deactivate, and
give a user a single-use link to set a new password."""
from __future__ import annotations

import re
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from app.accounts import passwords
from app.extensions import db
from app.models import Agency, User
from app.models.base import utcnow
from app.models.user import AGENCY_SCOPED, ROLES, PasswordReset, UserSession
from app.shared import audit
from app.shared.refusal import Refusal
from app.shared.secrets import keyed_digest, new_token

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = passwords.MIN_LENGTH


@cache
def _hasher_with(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def _hasher() -> PasswordHasher:
    """Argon2id with the settings' cost (defaults: RFC 9106's second recommended profile). A hash
    keeps its own parameters, so hashes made under other settings still verify."""
    config = current_app.config
    return _hasher_with(int(config["PASSWORD_HASH_TIME_COST"]), int(config["PASSWORD_HASH_MEMORY_KIB"]))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-password: compared when the account does not exist")


def verify_password(user: User | None, password: str) -> bool:
    """Check the password; for no account, check it against a dummy hash all the same, so that
    answering takes as long whether or not the email exists."""
    hasher = _hasher()
    try:
        matches = hasher.verify(user.password_hash if user is not None else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and user is not None


def check_password(user: User, password: str) -> bool:
    return verify_password(user, password)


def password_problem(password: str, email: str) -> Refusal | None:
    problem = passwords.problem(password, email)
    return Refusal("password", problem) if problem else None


def set_password(user: User, password: str, *, actor: User | None = None, keep_session: str | None = None) -> None:
    """Replace the password (checked against the policy) and end every other session and API token."""
    error = password_problem(password, user.email)
    if error:
        raise error
    user.password_hash = hash_password(password)
    end_all(user, keep=keep_session)
    audit.record("user.password", "user", user.id, user=actor or user,
                 after={"by": "self" if actor is None or actor.id == user.id else "administrator"})


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """The user's own change: the current password is required."""
    if not verify_password(user, current):
        raise Refusal("current_password", _l("The current password is not correct."))
    if current == new:
        raise Refusal("password", _l("The new password must differ from the current one."))
    set_password(user, new, keep_session=keep_session)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, role: str, password: str, *, agency_code: str | None = None,
                name: str = "", actor: User | None = None) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise Refusal("email", _("'%(email)s' is not an email address", email=email))
    if role not in ROLES:
        raise Refusal("role", _("role must be one of %(items)s", items=', '.join(ROLES)))
    error = password_problem(password, email)
    if error:
        raise error
    if find_by_email(email):
        raise Refusal("email", _("a user %(email)s already exists", email=email))
    agency = None
    if role in AGENCY_SCOPED:
        if not agency_code:
            raise Refusal("agency", _("a %(role)s user needs --agency CODE", role=role))
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise Refusal("agency", _("unknown agency code '%(agency_code)s'", agency_code=agency_code))
    user = User(email=email, role=role, password_hash=hash_password(password), agency=agency, name=name)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, user=actor, after={"email": email, "role": role,
                 "agency": agency_code})
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def snapshot(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role,
            "agency": user.agency.code if user.agency else None, "active": user.active}


def _active_admins() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) or 0


def update(user: User, *, role: str, agency_code: str = "", name: str = "", active: bool = True,
           actor: User | None = None) -> None:
    if role not in ROLES:
        raise Refusal("role", _("role must be one of %(items)s", items=', '.join(ROLES)))
    agency = None
    if role in AGENCY_SCOPED:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code)) if agency_code else None
        if agency is None:
            raise Refusal("agency", _("an agency account needs its agency"))
    losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
    if losing_admin and actor is not None and actor.id == user.id:
        raise Refusal("role", _("you cannot remove your own administrator rights or deactivate yourself"))
    if losing_admin and _active_admins() <= 1:
        raise Refusal("role", _("the last active administrator must stay an administrator"))
    before = snapshot(user)
    user.role, user.agency, user.name, user.active = role, agency, name.strip()[:200], active
    db.session.flush()
    if not active or before["role"] != role or before["agency"] != snapshot(user)["agency"]:
        end_all(user)  # new rights apply from the next login
    if before != snapshot(user):
        audit.record("user.update", "user", user.id, user=actor, before=before, after=snapshot(user))


def create_reset(user: User, actor: User) -> str:
    """A new reset link's token (shown once to the administrator; only its keyed hash is kept).
    Earlier unused links of the account stop working."""
    now = utcnow()
    db.session.execute(sql_update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                       .values(used_at=now))
    token = new_token()
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    db.session.add(PasswordReset(token_hash=keyed_digest(token, "password-reset"), user_id=user.id,
                                 created_by_id=actor.id, expires_at=now + timedelta(hours=hours)))
    db.session.flush()
    audit.record("user.reset_link", "user", user.id, user=actor, after={"hours": hours})
    return token


def find_reset(token: str | None) -> PasswordReset | None:
    """The reset of a link that is unused, unexpired and for an active account."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(PasswordReset).where(
        PasswordReset.token_hash == keyed_digest(token, "password-reset")))
    if row is None or row.used_at is not None or row.expires_at < utcnow() or not row.user.active:
        return None
    return row


def use_reset(row: PasswordReset, password: str) -> None:
    """Set the new password and use the link up; every session of the account ends."""
    set_password(row.user, password)
    row.used_at = utcnow()


def end_all(user: User, keep: str | None = None) -> None:
    """Every session of the user, API tokens included, except the browser session `keep`.
    Used when an account is deactivated, its rights change or its password changes."""
    condition = [UserSession.user_id == user.id, UserSession.ended_at.is_(None)]
    if keep:
        condition.append(UserSession.token_hash != keyed_digest(keep, "session"))
    db.session.execute(sql_update(UserSession).where(*condition).values(ended_at=utcnow()))

