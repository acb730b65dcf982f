"""Comments read by factor, wave-wide: per unit, how many approved comments speak of each SIPAS
factor and raise each red flag, counts hidden for units below the anonymity threshold."""
from __future__ import annotations

from flask import abort, redirect, render_template, url_for

from app.accounts.access import current_user, roles_required
from app.blueprints import dashboard as bp
from app.extensions import db
from app.i18n import current_language
from app.models import Agency
from app.reports.lookups import wave_or_404
from app.results import disclosure
from app.review import tag_rules, themes
from app.review.comment_tags import label_names


@bp.get("/<slug>/themes")
@roles_required("admin", "official", "agency")
def comment_themes(slug: str):
    wave = wave_or_404(slug)
    user = current_user()
    if user.role == "agency":  # its own unit only, on its page
        if user.agency is None:
            abort(403)
        return redirect(url_for("dashboard.agency", slug=wave.slug, code=user.agency.code, _anchor="themes"))
    rows = themes.unit_themes(wave)
    names = {a.id: a.name(current_language()) for a in db.session.query(Agency).filter(
        Agency.id.in_([r.agency_id for r in rows]))} if rows else {}
    return render_template("dashboard/comment_themes.html", wave=wave, rows=rows, names=names,
                           factors=tag_rules.FACTORS, red_flags=tag_rules.RED_FLAGS, label_names=label_names(),
                           min_group=disclosure.minimum())
