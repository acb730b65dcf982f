"""Paper entry: desk staff (``entry`` accounts) key in paper forms for their own agency;
administrators for any agency (``?agency=CODE``). The rated agency's own account cannot: it would
be rating itself. Each account is rate limited on its own (RATE_LIMIT_PAPER)."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.access import current_user, roles_required
from app.blueprints import public as bp
from app.collect import issuing, page_flow, paper
from app.collect.page_view import page_view
from app.collect.posted import PAPER_RESERVED, read_page
from app.extensions import configured_limit, db, limiter
from app.i18n import current_language
from app.programme import agencies
from app.shared.refusal import Refusal

FORM_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$")


def _agency():
    """The agency whose forms are keyed: an entry account's own; the ``agency`` argument for admins."""
    user = current_user()
    if user.role == "admin":
        agency = agencies.by_code(request.args.get("agency", ""))
        return user, agency
    if user.agency is None:
        abort(403)
    return user, user.agency


@bp.get("/paper")
@roles_required("admin", "entry")
def paper_home():
    _user, agency = _agency()
    waves = paper.waves_for(agency) if agency is not None else []
    return render_template("public/paper_home.html", agency=agency, waves=waves,
                           double={w.id: paper.double_entry(w) for w in waves},
                           choices=agencies.active_agencies() if current_user().role == "admin" else [])


def _render(wave, q, answers=None, values=None, errors=None, revealed=None, form_number="",
            number_error=None, status=200, processing="", processing_error=None):
    view = page_view(q, 0, answers or {}, current_language(), values=values, errors=errors)
    units = agencies.active_agencies() if paper.asks_processing_unit(wave) else []
    return render_template("public/paper_form.html", wave=wave, q=q, revealed=revealed, form_number=form_number,
                           number_error=number_error, double=paper.double_entry(wave), units=units,
                           processing=processing, processing_error=processing_error, **view), status


def _processing(wave):
    """(the processing unit chosen on the form or None, its code as posted, an error or None)."""
    code = request.form.get(paper.PROCESSING_UNIT, "").strip() if paper.asks_processing_unit(wave) else ""
    unit = agencies.by_code(code) if code else None
    error = _("Choose the unit that processed the dossier from the list, or leave it blank.") \
        if code and unit is None else None
    return unit, code, error


def _difference(q, code: str) -> str:
    if code == paper.PROCESSING_UNIT:
        return _("Unit that processed the dossier")
    return getattr(q.question(code).text, current_language())


@bp.route("/paper/<slug>", methods=["GET", "POST"])
@roles_required("admin", "entry")
@limiter.limit(configured_limit("RATE_LIMIT_PAPER"), key_func=issuing.account_key, methods=["POST"])
def paper_form(slug: str):
    user, agency = _agency()
    wave = paper.wave_for(slug, agency) if agency is not None else None
    if wave is None:
        abort(404)
    q = paper.layout(wave.survey_version)
    if request.method == "GET":
        return _render(wave, q)
    try:
        posted = read_page(request, q, PAPER_RESERVED)
    except Refusal as exc:
        return render_template("public/unavailable.html", reason="bad", message=exc.args[0]), 400
    number = request.form.get("form_number", "").strip()
    number_error = None if FORM_NUMBER.fullmatch(number) else _("Enter the number printed on the paper form.")
    result = page_flow.answer_page(q, 0, posted.raw, {}, posted.shown)
    unit, code, unit_error = _processing(wave)
    if result.errors or number_error or result.revealed or unit_error:
        return _render(wave, q, result.answers, posted.raw, result.errors, result.revealed, number, number_error,
                       400 if result.errors or number_error or unit_error else 200, code, unit_error)
    try:
        outcome = paper.enter(wave, agency, user, number, result.answers, processing=unit)
        db.session.commit()
    except (Refusal, IntegrityError):
        db.session.rollback()
        return _render(wave, q, result.answers, posted.raw, form_number=number, status=409, processing=code,
                       number_error=_("Form %(number)s has already been entered and counted.", number=number))
    if outcome.status == paper.SAME_PERSON:
        return _render(wave, q, result.answers, posted.raw, form_number=number, status=409, processing=code,
                       number_error=_(
            "You keyed in form %(number)s last time: another staff member must key it in to confirm it.",
            number=number))
    if outcome.status == paper.MISMATCH:
        return _render(wave, q, form_number=number, status=409, number_error=_(
            "This keying of form %(number)s differs from the previous one in: %(codes)s. Check the paper form "
            "and key it in again; it counts when two keyings agree.", number=number,
            codes="; ".join(_difference(q, c) for c in outcome.differences)))
    flash(_("Form %(number)s is waiting for its second keying.", number=number) if outcome.status == paper.PENDING
          else _("Form %(number)s has been counted.", number=number), "success")
    return redirect(url_for(".paper_form", slug=wave.slug, **_agency_arg(agency)), 303)


def _agency_arg(agency) -> dict:
    return {"agency": agency.code} if current_user().role == "admin" else {}
