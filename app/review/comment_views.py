"""Administrators approve or reject free-text comments before officials can read them."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.extensions import db
from app.programme.wave_views import wave_or_404
from app.review import comments
from app.shared.refusal import Refusal
from app.shared.web import page_arg


@bp.get("/waves/<slug>/comments")
@admin_only
def comment_list(slug: str):
    wave = wave_or_404(slug)
    status = request.args.get("status", "pending")
    page = comments.browse(wave, status, page_arg())
    return render_template("admin/comments.html", wave=wave, page=page, status=status,
                           statuses=comments.STATUSES)


@bp.post("/waves/<slug>/comments")
@admin_only
def comment_review(slug: str):
    wave = wave_or_404(slug)
    response_id = request.form.get("response_id", "")
    try:
        comments.review(wave, int(response_id) if response_id.isdigit() else -1, request.form.get("code", ""),
                        request.form.get("status", ""), current_user())
    except Refusal as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.comment_list", slug=slug)), 303
    db.session.commit()
    flash(_("Comment approved.") if request.form["status"] == "approved" else _("Comment rejected."), "success")
    return redirect(url_for("admin.comment_list", slug=slug, status=request.args.get("status", "pending")))


def _selection(values: list[str]) -> list[tuple[int, str]]:
    """'RESPONSE_ID:CODE' values of the ticked boxes; anything else is no comment (-1)."""
    pairs = []
    for value in values[: comments.MAX_BULK + 1]:
        response_id, _sep, code = value.partition(":")
        pairs.append((int(response_id) if response_id.isdigit() else -1, code))
    return pairs


@bp.post("/waves/<slug>/comments/bulk")
@admin_only
def comment_review_bulk(slug: str):
    """Several comments, one decision, one transaction (no JavaScript: the boxes belong to this form)."""
    wave = wave_or_404(slug)
    status, shown = request.form.get("status", ""), request.args.get("status", "pending")
    chosen = request.form.getlist("shown") if request.form.get("all") == "1" else request.form.getlist("selected")
    try:
        count = comments.review_many(wave, _selection(chosen), status, current_user())
    except Refusal as exc:
        db.session.rollback()
        flash(exc.message if exc.field == "selected" else _("Nothing was changed: %(problem)s.", problem=exc.message),
              "error")
        return redirect(url_for("admin.comment_list", slug=slug, status=shown), 303)
    db.session.commit()
    flash(ngettext("%(num)d comment approved.", "%(num)d comments approved.", count) if status == "approved"
          else ngettext("%(num)d comment rejected.", "%(num)d comments rejected.", count), "success")
    return redirect(url_for("admin.comment_list", slug=slug, status=shown), 303)
