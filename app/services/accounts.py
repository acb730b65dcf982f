"""Accounts as administrators manage them: create, change role or agency, deactivate, and
give a user a single-use link to set a new password."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from app.extensions import db
from app.models import Agency, User
from app.models.base import utcnow
from app.models.user import AGENCY_SCOPED, ROLES, PasswordReset
from app.services import audit, sessions, users
from app.services.admin_errors import AdminError
from app.services.secrets import keyed_digest, new_token


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def snapshot(user: User) -> dict:
    return {"email": user.email, "name": user.name, "role": user.role,
            "agency": user.agency.code if user.agency else None, "active": user.active}


def create(email: str, role: str, password: str, agency_code: str = "", name: str = "",
           actor: User | None = None) -> User:
    try:
        return users.create_user(email, role, password or "", agency_code=agency_code or None,
                                 name=name.strip(), actor=actor)
    except users.UserError as exc:
        raise AdminError(exc.field, str(exc)) from exc


def _active_admins() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) or 0


def update(user: User, *, role: str, agency_code: str = "", name: str = "", active: bool = True,
           actor: User | None = None) -> None:
    if role not in ROLES:
        raise AdminError("role", _("role must be one of %(items)s", items=', '.join(ROLES)))
    agency = None
    if role in AGENCY_SCOPED:
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code)) if agency_code else None
        if agency is None:
            raise AdminError("agency", _("an agency account needs its agency"))
    losing_admin = user.role == "admin" and user.active and (role != "admin" or not active)
    if losing_admin and actor is not None and actor.id == user.id:
        raise AdminError("role", _("you cannot remove your own administrator rights or deactivate yourself"))
    if losing_admin and _active_admins() <= 1:
        raise AdminError("role", _("the last active administrator must stay an administrator"))
    before = snapshot(user)
    user.role, user.agency, user.name, user.active = role, agency, name.strip()[:200], active
    db.session.flush()
    if not active or before["role"] != role or before["agency"] != snapshot(user)["agency"]:
        sessions.end_all(user)  # new rights apply from the next login
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
    users.set_password(row.user, password)
    row.used_at = utcnow()
