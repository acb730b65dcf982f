"""The manager's page of feedback handling: /dashboard/-/cases.

Not /dashboard/cases: wave slugs ([a-z0-9]+(-[a-z0-9]+)*) share that level (/dashboard/<slug>) and
a per-case wave is readily called "cases"; "-" alone is never a slug (the separator GitLab uses)."""
from __future__ import annotations

from flask import abort, render_template

from app.accounts.access import current_user, roles_required
from app.blueprints import dashboard as bp
from app.reports import case_pages


@bp.get("/-/cases")
@roles_required("admin", "official", "agency")
def cases():
    user = current_user()
    if user.role == "agency" and user.agency is None:
        abort(403)
    return render_template("dashboard/cases.html", **case_pages.manager_page(user))
