"""Login, logout and the role checks every protected view uses."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, g, redirect, request, session, url_for

from app.models import User
from app.models.user import AGENCY_SCOPED
from app.services import sessions

bp = Blueprint("auth", __name__)
SESSION_KEY = "sid"


def current_user() -> User | None:
    if "current_user" not in g:
        g.current_user = sessions.resolve(session.get(SESSION_KEY))
    return g.current_user


def can_see_agency(user: User | None, agency_id: int | None) -> bool:
    """Admins and officials see every agency; agency and entry accounts only their own."""
    if user is None:
        return False
    if user.role in ("admin", "official"):
        return True
    return user.role in AGENCY_SCOPED and agency_id is not None and user.agency_id == agency_id


def roles_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


@bp.before_app_request
def _forget_user() -> None:
    # g lives on the app context, which a request may share with an enclosing one (CLI, tests).
    g.pop("current_user", None)


@bp.app_context_processor
def inject_user() -> dict:
    return {"current_user": current_user}


from app.auth import routes  # noqa: E402,F401
