"""Who may use which admin page, and on which agency's data.

Every admin view names its roles with ``roles_required``; views that touch one agency's data also
call ``check_agency`` so that an agency-scoped account never reaches another agency's objects.

Separation of duties: the rated agency's own account (role ``agency``) reads its wave list and
aggregates only. Whatever creates responses or the means to create them (paper entry, kiosk keys,
invitations, integration keys) is an administrator's action, or for paper entry an ``entry``
account (desk staff scoped to one agency); individual responses are for administrators alone.
"""
from __future__ import annotations

from flask import abort

from app.auth import can_see_agency, current_user, roles_required
from app.models.user import AGENCY_SCOPED

__all__ = ["admin_only", "admin_or_agency", "check_agency", "current_user", "scoped_agency_id"]

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
