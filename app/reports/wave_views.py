from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import current_user, roles_required
from app.blueprints import dashboard as bp
from app.extensions import db
from app.reports import pages, publication, refresh
from app.reports.lookups import STAFF, wave_or_404, wave_visible
from app.results import heavy
from app.results.filters import parse_filters
from app.review.integrity_review import REASON_LABELS
from app.shared.refusal import Refusal


@bp.get("/")
@roles_required("admin", "official", "agency")
def index():
    user = current_user()
    shown = [w for w in pages.waves_for(user) if wave_visible(user, w)]
    return render_template("dashboard/index.html", waves=shown)


@bp.get("/<slug>")
@roles_required("admin", "official", "agency")
@heavy.limit_reads()
def wave(slug: str):
    wave = wave_or_404(slug)
    user = current_user()
    if user.role == "agency":
        if user.agency is None:
            abort(403)
        return redirect(url_for("dashboard.agency", slug=wave.slug, code=user.agency.code))
    try:
        filters = parse_filters(wave, request.args)
    except Refusal as exc:
        abort(400, description=str(exc))
    return render_template("dashboard/wave.html", **pages.wave_page(refresh.current(wave), filters))


@bp.get("/<slug>/methodology")
@roles_required("admin", "official", "agency")
def methodology(slug: str):
    wave = wave_or_404(slug)
    return render_template("dashboard/methodology.html", wave=wave, method=publication.methodology(refresh.current(wave)),
                           review_labels=REASON_LABELS)


@bp.get("/trends")
@roles_required(*STAFF)
@heavy.limit_reads()
def trends():
    return render_template("dashboard/trends.html", **pages.trends_page())


@bp.post("/<slug>/publish")
@roles_required("admin")
def publish(slug: str):
    wave = wave_or_404(slug)
    try:
        publication.set_public(wave, request.form.get("public") == "1", current_user())
    except Refusal as exc:
        flash(str(exc), "error")
        return redirect(url_for("dashboard.methodology", slug=wave.slug))
    db.session.commit()
    flash(_("Results published.") if wave.results_public else _("Results withdrawn from the public page."), "info")
    return redirect(url_for("dashboard.methodology", slug=wave.slug))
