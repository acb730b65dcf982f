"""Each role's home page, the page with its tasks: where login lands and where the header's first
link leads. Administrators: the admin home; officials: the dashboard; the rated agency's own
account: its agency page in the latest wave it is in; desk staff: paper entry for their agency. The administrator's home shows every task one link
away, and per current wave its invitations, comments waiting for review and the paper double-entry
switch. Also the names every admin template can use.
"""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.access import admin_only, admin_or_agency, current_user
from app.blueprints import admin as bp
from app.collect import paper
from app.models import User
from app.models.wave import WAVE_CLOSED
from app.programme import waves
from app.programme.wave_views import wave_or_404
from app.reports import pages
from app.reports.lookups import wave_visible
from app.review import comments
from app.shared.web import commit_or_show

HOME_ENDPOINTS = {"admin": "admin.index", "official": "dashboard.index", "entry": "public.paper_home"}


def home_url(user: User) -> str:
    if user.role == "agency":
        return _agency_home(user)
    return url_for(HOME_ENDPOINTS.get(user.role, "public.home"))


def _agency_home(user: User) -> str:
    if user.agency is not None:
        for wave in pages.waves_for(user):  # newest first
            if wave_visible(user, wave):
                return url_for("dashboard.agency", slug=wave.slug, code=user.agency.code)
    return url_for("dashboard.index")


@bp.get("/")
@admin_or_agency
def index():
    if current_user().role != "admin":
        return redirect(url_for("admin.wave_list"))  # an agency account reads its wave list only
    current = [w for w in waves.list_waves() if w.status != WAVE_CLOSED]
    return render_template("admin/home.html", waves=current,
                           pending={w.id: comments.pending_count(w) for w in current},
                           double={w.id: paper.double_entry(w) for w in current},
                           waiting={w.id: paper.pending_count(w) for w in current})


@bp.post("/waves/<slug>/paper-double-entry")
@admin_only
def paper_double_entry(slug: str):
    wave = wave_or_404(slug)
    state = request.form.get("double_entry", "")
    if state not in ("on", "off"):
        abort(400, description=_("Choose whether paper double entry is on or off."))
    home = url_for("admin.index")
    return commit_or_show(
        None, lambda: paper.set_double_entry(wave, state == "on", current_user()),
        _("Paper double entry is on for %(wave)s: a paper form counts when two people's keyings agree.",
          wave=wave.slug) if state == "on" else
        _("Paper double entry is off for %(wave)s: each paper form counts when it is keyed in once.",
          wave=wave.slug), home, back=redirect(home, 303), code=303)


WAVE_STATUS = {"draft": _l("draft"), "open": _l("open"), "closed": _l("closed")}
ROLES = {"admin": _l("Administrator"), "official": _l("Official"), "agency": _l("Agency (one agency only)"),
         "entry": _l("Paper entry staff (one agency only)")}
VERSION_STATUS = {"draft": _l("draft"), "published": _l("published"), "retired": _l("retired")}


@bp.context_processor
def admin_globals() -> dict:
    return {"admin_user": current_user,
            "wave_status_label": lambda s: WAVE_STATUS.get(s, s),
            "version_status_label": lambda s: VERSION_STATUS.get(s, s),
            "role_label": lambda r: ROLES.get(r, r)}
