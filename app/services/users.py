from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, User
from app.models.user import ROLES
from app.services import audit

_hasher = PasswordHasher()
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


class UserError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, role: str, password: str, *, agency_code: str | None = None,
                name: str = "", actor: User | None = None) -> User:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise UserError("email", f"'{email}' is not an email address")
    if role not in ROLES:
        raise UserError("role", f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError("password", f"the password needs at least {MIN_PASSWORD} characters")
    if find_by_email(email):
        raise UserError("email", f"a user {email} already exists")
    agency = None
    if role == "agency":
        if not agency_code:
            raise UserError("agency", "an agency user needs --agency CODE")
        agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
        if agency is None:
            raise UserError("agency", f"unknown agency code '{agency_code}'")
    user = User(email=email, role=role, password_hash=hash_password(password), agency=agency, name=name)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, user=actor, after={"email": email, "role": role,
                 "agency": agency_code})
    return user
