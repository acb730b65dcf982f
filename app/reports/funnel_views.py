"""A wave's response funnel (invitations issued → completed) for administrators, officials and,
limited to its own rows, an agency account; and its CSV."""
from __future__ import annotations

from flask import render_template

from app.accounts.access import current_user, roles_required
from app.blueprints import dashboard as bp
from app.reports import funnel_page
from app.reports.download_views import attachment
from app.reports.lookups import wave_or_404


@bp.get("/<slug>/funnel")
@roles_required("admin", "official", "agency")
def funnel(slug: str):
    wave = wave_or_404(slug)
    return render_template("dashboard/funnel.html", **funnel_page.page(wave, current_user()))


@bp.get("/<slug>/funnel.csv")
@roles_required("admin", "official", "agency")
def funnel_csv(slug: str):
    wave = wave_or_404(slug)
    return attachment(funnel_page.csv_bytes(wave, current_user()), f"{wave.slug}-funnel.csv",
                      "text/csv; charset=utf-8")
