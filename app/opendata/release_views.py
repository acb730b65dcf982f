"""Administrators make, publish (at once or after an embargo) and withdraw a wave's open-data releases."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.extensions import db
from app.models import OpenRelease
from app.opendata import releases
from app.programme.wave_views import wave_or_404
from app.shared.web import commit_or_show


@bp.get("/waves/<slug>/open-data")
@admin_only
def open_data(slug: str):
    wave = wave_or_404(slug)
    return render_template("admin/waves/open_data.html", wave=wave, releases=releases.of_wave(wave),
                           visible=releases.is_visible)


@bp.post("/waves/<slug>/open-data")
@admin_only
def open_data_make(slug: str):
    wave = wave_or_404(slug)
    back = url_for("admin.open_data", slug=slug)
    embargo = request.form.get("embargo_until", "")
    return commit_or_show(None, lambda: releases.make(wave, current_user(), releases.embargo_from(embargo)),
                          _made_message,
                          back, back=redirect(back, 303), code=303)


def _made_message(made: releases.Made) -> str:
    said = [_("Release %(n)s made: publish it to open it.", n=made.release.number)]
    if made.hidden_as_changes:
        said.append(_("%(k)s figures are hidden because too few answers changed since an earlier "
                      "release (subtracting one release from the other would show them).", k=made.hidden_as_changes))
    return " ".join(said)


@bp.post("/waves/<slug>/open-data/<int:number>/<action>")
@admin_only
def open_data_change(slug: str, number: int, action: str):
    wave = wave_or_404(slug)
    back = url_for("admin.open_data", slug=slug)
    release = db.session.scalar(select(OpenRelease).where(OpenRelease.wave_id == wave.id, OpenRelease.number == number))
    if release is None or action not in ("publish", "withdraw"):
        return redirect(back, 303)
    change = releases.publish if action == "publish" else releases.withdraw
    return commit_or_show(None, lambda: change(release, current_user()),
                          _("Release published.") if action == "publish" else _("Release withdrawn."),
                          back, back=redirect(back, 303), code=303)
