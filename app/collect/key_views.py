"""Kiosk keys per agency desk, and integration API keys. A new key is shown once, then only its digest is kept.

Both are administrators' actions (a kiosk key lets its holder create responses for the agency: the
rated agency must not issue its own), audited, and rate limited per account (RATE_LIMIT_ISSUE).
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.accounts import tokens
from app.accounts.access import admin_only, current_user
from app.accounts.forms import ApiKeyForm
from app.blueprints import admin as bp
from app.collect import issuing, kiosks
from app.collect.forms import KioskKeyForm
from app.extensions import configured_limit, db, limiter
from app.models import ApiKey, KioskKey
from app.programme import agencies
from app.shared.forms import ConfirmForm
from app.shared.web import agency_or_404, committed


def _agency_choices(form, blank: str | None = None) -> None:
    options = [(a.code, f"{a.code} — {a.name_vi}") for a in agencies.active_agencies()]
    form.agency.choices = ([("", blank)] if blank else []) + options


def _no_store(html: str, status: int = 200):
    return html, status, {"Cache-Control": "no-store"}


@bp.route("/kiosk-keys", methods=["GET", "POST"], endpoint="kiosk_keys")
@admin_only
@limiter.limit(configured_limit("RATE_LIMIT_ISSUE"), key_func=issuing.account_key, methods=["POST"])
def kiosk_key_list():
    form, new_key = KioskKeyForm(), None
    _agency_choices(form)
    if form.validate_on_submit():
        agency = agency_or_404(form.agency.data or "")
        new_key = committed(form, lambda: kiosks.issue(agency, form.label.data or "", actor=current_user()))
    html = render_template("admin/keys/kiosk.html", form=form, new_key=new_key, confirm=ConfirmForm(),
                           keys=kiosks.list_keys())
    return _no_store(html, 400 if form.errors or form.form_errors else 200)


@bp.post("/kiosk-keys/<int:key_id>/revoke")
@admin_only
def kiosk_key_revoke(key_id: int):
    key = db.session.get(KioskKey, key_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        kiosks.revoke(key, actor=current_user())
        db.session.commit()
        flash(_("The kiosk key was revoked: the tablet using it can no longer collect answers."), "success")
    return redirect(url_for("admin.kiosk_keys"))


@bp.route("/api-keys", methods=["GET", "POST"], endpoint="api_keys")
@admin_only
@limiter.limit(configured_limit("RATE_LIMIT_ISSUE"), key_func=issuing.account_key, methods=["POST"])
def api_key_list():
    form, new_key = ApiKeyForm(), None
    _agency_choices(form, blank=_("(any agency)"))
    if form.validate_on_submit():
        agency = agency_or_404(form.agency.data) if form.agency.data else None
        new_key = committed(form, lambda: tokens.create(form.name.data, agency, actor=current_user(),
                                                        daily_limit=form.daily_limit.data))
    html = render_template("admin/keys/api.html", form=form, new_key=new_key, confirm=ConfirmForm(),
                           keys=tokens.list_keys(), used_today=issuing.used_today,
                           daily_limit=issuing.daily_limit)
    return _no_store(html, 400 if form.errors or form.form_errors else 200)


@bp.post("/api-keys/<int:key_id>/revoke")
@admin_only
def api_key_revoke(key_id: int):
    key = db.session.get(ApiKey, key_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        tokens.revoke(key, actor=current_user())
        db.session.commit()
        flash(_("The integration key was revoked."), "success")
    return redirect(url_for("admin.api_keys"))
