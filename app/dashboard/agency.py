from __future__ import annotations

from flask import render_template

from app.auth import roles_required
from app.dashboard import bp
from app.dashboard.common import agency_or_404, wave_or_404
from app.services import dashpages, heavy


@bp.get("/<slug>/agencies/<code>")
@roles_required("admin", "official", "agency")
@heavy.limit_reads()
def agency(slug: str, code: str):
    wave = wave_or_404(slug)
    return render_template("dashboard/agency.html", **dashpages.agency_page(wave, agency_or_404(wave, code)))
