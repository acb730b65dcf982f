"""Who may do what: the signed-in user, the role checks every protected view uses, and on which
agency's data.

Every admin view names its roles with ``roles_required``; views that touch one agency's data also
call ``check_agency`` so that an agency-scoped account never reaches another agency's objects.

Separation of duties: the rated agency's own account (role ``agency``) reads its wave list and
aggregates only. Whatever creates responses or the means to create them (paper entry, kiosk keys,
invitations, integration keys) is an administrator's action, or for paper entry an ``entry``
account (desk staff scoped to one agency); individual responses are for administrators alone.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from app.accounts import logins
from app.blueprints import auth as bp
from app.extensions import db
from app.models import User
from app.models.user import AGENCY_SCOPED
from app.security import SESSION_KEY


def current_user() -> User | None:
    if "current_user" not in g:
        g.current_user, g.session_touch = logins.resolve(session.get(SESSION_KEY))
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
    g.pop("session_touch", None)


@bp.teardown_app_request
def _save_session_touch(error: BaseException | None) -> None:
    """The session's idle clock, refreshed when the request is over and never inside the role
    check: the view's own work is committed by the view or not at all (logins.save)."""
    touch = g.pop("session_touch", None)
    if touch is None:
        return
    try:
        logins.save(touch)
    except Exception:  # the database may be down; the next request touches the session again
        current_app.logger.warning("the login session's idle clock was not refreshed", exc_info=True)
        with suppress(Exception):  # removing the session ends its transaction anyway
            db.session.rollback()


@bp.app_context_processor
def inject_user() -> dict:
    return {"current_user": current_user}


admin_only = roles_required("admin")
admin_or_agency = roles_required("admin", "agency")


def check_agency(agency_id: int | None) -> None:
    """403 unless the signed-in user may see this agency's data."""
    user = current_user()
    if user is None or agency_id is None or not can_see_agency(user, agency_id):
        abort(403)


def scoped_agency_id() -> int | None:
    """The one agency an agency-scoped user is limited to; None for administrators."""
    user = current_user()
    return user.agency_id if user is not None and user.role in AGENCY_SCOPED else None
