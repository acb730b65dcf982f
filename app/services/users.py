from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, User
from app.models.user import AGENCY_SCOPED, ROLES
from app.services import audit, passwords

_hasher = PasswordHasher()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = passwords.MIN_LENGTH


class UserError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not-a-password: compared when the account does not exist")


def verify_password(user: User | None, password: str) -> bool:
    """Check the password; for no account, check it against a dummy hash all the same, so that
    answering takes as long whether or not the email exists."""
    try:
        matches = _hasher.verify(user.password_hash if user is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and user is not None


def check_password(user: User, password: str) -> bool:
    return verify_password(user, password)


def password_problem(password: str, email: str) -> UserError | None:
    problem = passwords.problem(password, email)
    return UserError("password", problem) if problem else None


def set_password(user: User, password: str, *, actor: User | None = None, keep_session: str | None = None) -> None:
    """Replace the password (checked against the policy) and end every other session and API token."""
    from app.services import sessions

    error = password_problem(password, user.email)
    if error:
        raise error
    user.password_hash = hash_password(password)
    sessions.end_all(user, keep=keep_session)
    audit.record("user.password", "user", user.id, user=actor or user,
                 after={"by": "self" if actor is None or actor.id == user.id else "administrator"})


def change_password(user: User, current: str, new: str, keep_session: str | None = None) -> None:
    """The user's own change: the current password is required."""
    if not verify_password(user, current):
        raise UserError("current_password", _l("The current password is not correct."))
    if current == new:
        raise UserError("password", _l("The new password must differ from the current one."))
    set_password(user, new, keep_session=keep_session)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, role: str, password: str, *, agency_code: str | None = None,
                name: str = "", actor: User | None = None) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise UserError("email", _("'%(email)s' is not an email address", email=email))
    if role not in ROLES:
        raise UserError("role", _("role must be one of %(items)s", items=', '.join(ROLES)))
    error = password_problem(password, email)
    if error:
        raise error
    if find_by_email(email):
        raise UserError("email", _("a user %(email)s already exists", email=email))
    agency = None
    if role in AGENCY_SCOPED:
        if not agency_code:
            raise UserError("agency", _("a %(role)s user needs --agency CODE", role=role))
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise UserError("agency", _("unknown agency code '%(agency_code)s'", agency_code=agency_code))
    user = User(email=email, role=role, password_hash=hash_password(password), agency=agency, name=name)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, user=actor, after={"email": email, "role": role,
                 "agency": agency_code})
    return user
