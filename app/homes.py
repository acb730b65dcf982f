"""Each role's home page, the page with its tasks: where login lands and where the header's first
link leads. Administrators: the admin home; officials: the dashboard; the rated agency's own
account: its agency page in the latest wave it is in; desk staff: paper entry for their agency."""
from __future__ import annotations

from flask import url_for

from app.models import User

HOME_ENDPOINTS = {"admin": "admin.index", "official": "dashboard.index", "entry": "public.paper_home"}


def home_url(user: User) -> str:
    if user.role == "agency":
        return _agency_home(user)
    return url_for(HOME_ENDPOINTS.get(user.role, "public.home"))


def _agency_home(user: User) -> str:
    from app.dashboard.common import wave_visible
    from app.services import dashpages

    if user.agency is not None:
        for wave in dashpages.waves_for(user):  # newest first
            if wave_visible(user, wave):
                return url_for("dashboard.agency", slug=wave.slug, code=user.agency.code)
    return url_for("dashboard.index")
