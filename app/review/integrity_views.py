"""The integrity review queue: flagged responses by reason and unit; keep or exclude, one or in bulk."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.extensions import db
from app.programme import agencies
from app.programme.wave_views import wave_or_404
from app.review import integrity_review as review
from app.review.integrity import REASONS
from app.review.integrity_review import REASON_LABELS
from app.shared.web import commit_or_show


@bp.get("/waves/<slug>/review")
@admin_only
def integrity_queue(slug: str):
    wave = wave_or_404(slug)
    review.ensure_checked(wave)
    db.session.commit()
    reason = request.args.get("reason") or None
    code = request.args.get("agency") or None
    agency = agencies.by_code(code) if code else None
    items = review.flagged(wave, agency_id=agency.id if agency else None,
                           reason=reason if reason in REASONS else None)
    return render_template("admin/waves/review.html", wave=wave, items=items[:500], total=len(items),
                           groups=review.groups(review.flagged(wave)), units=review.unit_flags(wave),
                           labels=REASON_LABELS, reason=reason, agency=code,
                           checked_at=(wave.settings or {}).get("integrity_checked_at"),
                           excluded=review.excluded_summary(wave))


@bp.post("/waves/<slug>/review/run")
@admin_only
def integrity_run(slug: str):
    wave = wave_or_404(slug)
    listing = url_for("admin.integrity_queue", slug=slug)
    return commit_or_show(None, lambda: review.run(wave, current_user()),
                          lambda n: ngettext("Checks done: %(num)d response flagged.",
                                             "Checks done: %(num)d responses flagged.", n),
                          listing, back=redirect(listing, 303), code=303)


@bp.post("/waves/<slug>/review/decide")
@admin_only
def integrity_decide(slug: str):
    """One decision for the ticked responses, or for every response of a group (reason × unit)."""
    wave = wave_or_404(slug)
    group = request.form.get("group", "")
    if group:
        why, _sep, code = group.partition("|")
        chosen = [f.response_id for f in review.flagged(wave) if why in f.reasons and f.agency == code]
    else:
        chosen = [int(v) for v in request.form.getlist("selected")[: review.MAX_BULK + 1] if v.isdigit()]
    decision = request.form.get("decision", "")
    back = url_for("admin.integrity_queue", slug=slug, reason=request.args.get("reason") or None,
                   agency=request.args.get("agency") or None)
    return commit_or_show(
        None, lambda: review.decide(wave, chosen, decision, request.form.get("note", ""), current_user()),
        lambda n: (ngettext("%(num)d response excluded.", "%(num)d responses excluded.", n) if decision == "exclude"
                   else _("Decision recorded: kept.")),
        back, back=redirect(back, 303), code=303)
