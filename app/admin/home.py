"""The administrator's home: every task one link away, and per current wave its invitations,
comments waiting for review and the paper double-entry switch."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import bp
from app.admin.access import admin_only, admin_or_agency, current_user
from app.admin.waves import wave_or_404
from app.extensions import db
from app.models.wave import WAVE_CLOSED
from app.services import comments, paper, waves_admin


@bp.get("/")
@admin_or_agency
def index():
    if current_user().role != "admin":
        return redirect(url_for("admin.wave_list"))  # an agency account reads its wave list only
    current = [w for w in waves_admin.list_waves() if w.status != WAVE_CLOSED]
    return render_template("admin/home.html", waves=current,
                           pending={w.id: comments.browse(w, "pending", 1, 1).total for w in current},
                           double={w.id: paper.double_entry(w) for w in current},
                           waiting={w.id: paper.pending_count(w) for w in current})


@bp.post("/waves/<slug>/paper-double-entry")
@admin_only
def paper_double_entry(slug: str):
    wave = wave_or_404(slug)
    state = request.form.get("double_entry", "")
    if state not in ("on", "off"):
        abort(400, description=_("Choose whether paper double entry is on or off."))
    paper.set_double_entry(wave, state == "on", current_user())
    db.session.commit()
    flash(_("Paper double entry is on for %(wave)s: a paper form counts when two people's keyings agree.",
            wave=wave.slug) if state == "on" else
          _("Paper double entry is off for %(wave)s: each paper form counts when it is keyed in once.",
            wave=wave.slug), "success")
    return redirect(url_for("admin.index"), 303)
