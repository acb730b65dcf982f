"""Administrators approve or reject free-text comments before officials can read them."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.programme.wave_views import wave_or_404
from app.review import comment_tags, comments, tag_rules
from app.shared.web import commit_or_show, page_arg


@bp.get("/waves/<slug>/comments")
@admin_only
def comment_list(slug: str):
    wave = wave_or_404(slug)
    status = request.args.get("status", "pending")
    order = request.args.get("order", "newest")
    order = order if order in comments.ORDERS else "newest"
    page = comments.browse(wave, status, page_arg(), order=order)
    return render_template("admin/comments.html", wave=wave, page=page, status=status, order=order,
                           statuses=comments.STATUSES, label_codes=comment_tags.LABELS,
                           label_names=comment_tags.label_names(), red_flags=tag_rules.RED_FLAGS,
                           model=comment_tags.current_model() is not None)


@bp.post("/waves/<slug>/comments")
@admin_only
def comment_review(slug: str):
    wave = wave_or_404(slug)
    response_id = request.form.get("response_id", "")
    # the label boxes are part of the form: ticked ones are the moderator's labels (none ticked: none)
    labels = request.form.getlist("labels") if request.form.get("labelled") == "1" else None
    return commit_or_show(
        None, lambda: comments.review(wave, int(response_id) if response_id.isdigit() else -1,
                                      request.form.get("code", ""), request.form.get("status", ""), current_user(),
                                      labels=labels),
        _("Comment approved.") if request.form.get("status") == "approved" else _("Comment rejected."),
        url_for("admin.comment_list", slug=slug, status=request.args.get("status", "pending"),
                order=request.args.get("order", "newest")),
        back=redirect(url_for("admin.comment_list", slug=slug), 303))


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
    listing = url_for("admin.comment_list", slug=slug, status=shown, order=request.args.get("order", "newest"))
    return commit_or_show(
        None, lambda: comments.review_many(wave, _selection(chosen), status, current_user()),
        lambda count: ngettext("%(num)d comment approved.", "%(num)d comments approved.", count)
        if status == "approved" else ngettext("%(num)d comment rejected.", "%(num)d comments rejected.", count),
        listing, back=redirect(listing, 303), code=303)
