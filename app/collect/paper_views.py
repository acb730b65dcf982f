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
            number_error=None, status=200):
    view = page_view(q, 0, answers or {}, current_language(), values=values, errors=errors)
    return render_template("public/paper_form.html", wave=wave, q=q, revealed=revealed, form_number=form_number,
                           number_error=number_error, double=paper.double_entry(wave), **view), status


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
    if result.errors or number_error or result.revealed:
        return _render(wave, q, result.answers, posted.raw, result.errors, result.revealed, number, number_error,
                       400 if result.errors or number_error else 200)
    try:
        outcome = paper.enter(wave, agency, user, number, result.answers)
        db.session.commit()
    except (Refusal, IntegrityError):
        db.session.rollback()
        return _render(wave, q, result.answers, posted.raw, form_number=number, status=409,
                       number_error=_("Form %(number)s has already been entered and counted.", number=number))
    if outcome.status == paper.SAME_PERSON:
        return _render(wave, q, result.answers, posted.raw, form_number=number, status=409, number_error=_(
            "You keyed in form %(number)s last time: another staff member must key it in to confirm it.",
            number=number))
    if outcome.status == paper.MISMATCH:
        return _render(wave, q, form_number=number, status=409, number_error=_(
            "This keying of form %(number)s differs from the previous one in: %(codes)s. Check the paper form "
            "and key it in again; it counts when two keyings agree.", number=number,
            codes="; ".join(getattr(q.question(c).text, current_language()) for c in outcome.differences)))
    flash(_("Form %(number)s is waiting for its second keying.", number=number) if outcome.status == paper.PENDING
          else _("Form %(number)s has been counted.", number=number), "success")
    return redirect(url_for(".paper_form", slug=wave.slug, **_agency_arg(agency)), 303)


def _agency_arg(agency) -> dict:
    return {"agency": agency.code} if current_user().role == "admin" else {}
