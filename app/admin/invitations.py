"""Invitations in bulk for one agency of a wave: a CSV of links or a printable sheet of QR codes.

The raw tokens exist only in the answer to this request: they are never stored nor shown again.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from app.admin import bp
from app.admin.access import admin_or_agency, check_agency, current_user, scoped_agency_id
from app.admin.forms import InvitationForm
from app.admin.helpers import agency_or_404, download, upload_bytes
from app.admin.waves import wave_or_404
from app.extensions import db
from app.services import invitation_batches, invitations
from app.services.csvio import ImportRejected


@bp.route("/waves/<slug>/invitations", methods=["GET", "POST"])
@admin_or_agency
def invitation_issue(slug: str):
    wave = wave_or_404(slug)
    form, errors = InvitationForm(), []
    scoped = scoped_agency_id()
    form.agency.choices = [(a.code, f"{a.code} — {a.name_vi}") for a in wave.agencies
                           if scoped is None or a.id == scoped]
    if form.validate_on_submit():
        agency = agency_or_404(form.agency.data or "")
        check_agency(agency.id)
        dossiers = None
        try:
            if form.dossiers.data and form.dossiers.data.filename:
                dossiers = invitation_batches.parse_dossiers(wave, upload_bytes(form.dossiers.data))
            elif not form.count.data:
                form.count.errors = [_("Give a number of invitations or a CSV of dossier codes.")]
                raise ImportRejected([])
            issued = invitations.issue(wave, agency, form.count.data or 0, dossiers=dossiers,
                                       actor=current_user())
        except ImportRejected as exc:
            db.session.rollback()
            errors = exc.errors
        except invitations.InvitationError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            if form.output.data == "csv":
                return download(invitation_batches.links_csv(issued, dossiers),
                                f"invitations-{wave.slug}-{agency.code}.csv", "text/csv")
            cards = [(item, invitation_batches.qr_data_uri(item.url)) for item in issued]
            html = render_template("admin/invitations/sheet.html", wave=wave, agency=agency, cards=cards)
            return html, 200, {"Cache-Control": "no-store"}
    status = 400 if errors or form.errors or form.form_errors else 200
    return render_template("admin/invitations/issue.html", wave=wave, form=form, errors=errors), status
