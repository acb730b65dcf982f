"""Invitations in bulk for one agency of a wave: a CSV of links or a printable sheet of QR codes.

Administrators only (the rated agency must not hand itself invitations), at most
``MAX_INVITATIONS_PER_BATCH`` a batch and ``MAX_QR_PER_SHEET`` on a printed sheet, and
``RATE_LIMIT_ISSUE`` batches per account. The raw tokens exist only in the answer to this
request: the file or sheet is produced before the invitations are committed, so a batch that
never reaches the user is rolled back, never left behind as undelivered invitations.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.collect import invitations, issuing
from app.collect.forms import InvitationForm
from app.extensions import configured_limit, db, limiter
from app.programme.wave_views import wave_or_404
from app.reach import contacts, sending
from app.reach.forms import SendForm
from app.shared import qr
from app.shared.csvio import ImportRejected
from app.shared.refusal import Refusal
from app.shared.web import agency_or_404, download, upload_bytes


def _too_many(form: InvitationForm) -> str | None:
    """A message naming the limit when the asked count is over a cap, else None."""
    count, cap = form.count.data or 0, issuing.batch_cap()
    if count > cap:
        return _("At most %(cap)d invitations per batch: issue them in several batches.", cap=cap)
    sheet_cap = int(current_app.config["MAX_QR_PER_SHEET"])
    if form.output.data == "sheet" and count > sheet_cap:
        return _("A printable sheet holds at most %(cap)d QR codes: ask for a CSV file of links, or issue "
                 "several sheets.", cap=sheet_cap)
    return None


def _deliver(wave, agency, issued, dossiers, output: str):
    """The file or page that carries the links (built before the batch is committed)."""
    if output == "csv":
        return download(invitations.links_csv(issued, dossiers),
                        f"invitations-{wave.slug}-{agency.code}.csv", "text/csv")
    cards = [(item, invitations.qr_data_uri(item.url), qr.last_valid_day(item.expires_at)) for item in issued]
    html = render_template("admin/invitations/sheet.html", wave=wave, agency=agency, cards=cards)
    return html, 200, {"Cache-Control": "no-store"}


@bp.route("/waves/<slug>/invitations", methods=["GET", "POST"])
@admin_only
@limiter.limit(configured_limit("RATE_LIMIT_ISSUE"), key_func=issuing.account_key, methods=["POST"])
def invitation_issue(slug: str):
    wave = wave_or_404(slug)
    form, errors = InvitationForm(), []
    form.agency.choices = [(a.code, f"{a.code} — {a.name_vi}") for a in wave.agencies]
    if form.validate_on_submit():
        agency = agency_or_404(form.agency.data or "")
        dossiers = None
        try:
            if form.dossiers.data and form.dossiers.data.filename:
                cap = issuing.batch_cap()
                if form.output.data == "sheet":
                    cap = min(cap, int(current_app.config["MAX_QR_PER_SHEET"]))
                dossiers = invitations.parse_dossiers(wave, upload_bytes(form.dossiers.data), max_rows=cap)
            elif not form.count.data:
                form.count.errors = [_("Give a number of invitations or a CSV of dossier codes.")]
                raise ImportRejected([])
            elif message := _too_many(form):
                form.count.errors = [message]
                raise ImportRejected([])
            issued = invitations.issue(wave, agency, form.count.data or 0, dossiers=dossiers,
                                       actor=current_user())
            delivered = _deliver(wave, agency, issued, dossiers, form.output.data)
        except ImportRejected as exc:
            db.session.rollback()
            errors = exc.errors
        except Refusal as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        except BaseException:
            db.session.rollback()  # (a sheet that could not be built: no invitation is left behind)
            raise
        else:
            db.session.commit()
            return delivered
    status = 400 if errors or form.errors or form.form_errors else 200
    return _issue_page(wave, form, errors, _send_form(wave), [], status)


def _send_form(wave, formdata=None) -> SendForm:
    form = SendForm(formdata=formdata) if formdata is not None else SendForm()
    form.agency.choices = [(a.code, f"{a.code} — {a.name_vi}") for a in wave.agencies]
    return form


def _issue_page(wave, form, errors, send_form, send_errors, status):
    return render_template("admin/invitations/issue.html", wave=wave, form=form, errors=errors,
                           send_form=send_form, send_errors=send_errors), status


@bp.route("/waves/<slug>/invitations/send", methods=["POST"])
@admin_only
@limiter.limit(configured_limit("RATE_LIMIT_ISSUE"), key_func=issuing.account_key)
def invitation_send(slug: str):
    """The same as `flask invitations send`: one invitation per contact of the uploaded CSV, its
    message queued in the contact's language; a file with one bad line writes nothing."""
    wave = wave_or_404(slug)
    form, errors = _send_form(wave), []
    if form.validate_on_submit():
        agency = agency_or_404(form.agency.data or "")
        try:
            parsed = contacts.parse(wave, form.channel.data, upload_bytes(form.contacts.data), form.language.data)
            sent = sending.send(wave, agency, parsed, actor=current_user())
        except ImportRejected as exc:
            db.session.rollback()
            errors = exc.errors
        except Refusal as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(ngettext("%(num)d invitation queued for %(agency)s.", "%(num)d invitations queued for %(agency)s.",
                           sent.queued, agency=agency.code) + " "
                  + ngettext("%(num)d contact skipped: opted out.", "%(num)d contacts skipped: opted out.",
                             sent.skipped), "success")
            return redirect(url_for("admin.invitation_issue", slug=slug), 303)
    invitation_form = InvitationForm(formdata=None)
    invitation_form.agency.choices = [(a.code, f"{a.code} — {a.name_vi}") for a in wave.agencies]
    return _issue_page(wave, invitation_form, [], form, errors, 400)
