from __future__ import annotations

from flask import render_template

from app.accounts.access import roles_required
from app.blueprints import dashboard as bp
from app.reports import pages, refresh
from app.reports.lookups import agency_or_404, wave_or_404
from app.results import heavy


@bp.get("/<slug>/agencies/<code>")
@roles_required("admin", "official", "agency")
@heavy.limit_reads()
def agency(slug: str, code: str):
    wave = wave_or_404(slug)
    return render_template("dashboard/agency.html", **pages.agency_page(refresh.current(wave), agency_or_404(wave, code)))
