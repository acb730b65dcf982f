"""A wave's sampling frame (transactions per agency) and population margins."""
from __future__ import annotations

import csv
import io

from flask import render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.programme import frame
from app.programme.wave_views import wave_or_404
from app.shared import numbers
from app.shared.forms import ConfirmForm, UploadForm
from app.shared.web import commit_or_show, upload_bytes


def _typed_counts(wave) -> list[tuple[int, dict]]:
    """The frame table as typed: one row per agency; a blank cell means no count."""
    rows = []
    for line, agency in enumerate(wave.agencies, start=1):
        value = request.form.get(f"n_{agency.code}", "").strip()
        if value:
            rows.append((line, {"agency": agency.code, "stratum": "", "transactions": value}))
    return rows


@bp.route("/waves/<slug>/frame", methods=["GET", "POST"])
@admin_only
def wave_frame(slug: str):
    wave = wave_or_404(slug)
    form, upload, errors, typed, field_errors = ConfirmForm(), UploadForm(), [], {}, {}

    def save_counts() -> int:
        if uploaded:
            return frame.import_counts(wave, upload_bytes(upload.file.data), actor=current_user())
        fine = [(0, {"agency": a, "stratum": s, "transactions": str(n)}) for a, s, n in frame.frame_rows(wave) if s]
        return frame.set_frame_counts(wave, _typed_counts(wave) + fine, actor=current_user())

    uploaded = "file" in request.files and upload.validate_on_submit()
    typing = not uploaded and form.validate_on_submit()
    if typing:
        typed = {k[2:]: v for k, v in request.form.items() if k.startswith("n_")}
    if (uploaded or typing) and (done := commit_or_show(
            form, save_counts, lambda count: _("Frame counts saved: %(num)d rows.", num=count),
            url_for("admin.wave_detail", slug=slug), row_errors=errors)):
        return done
    if typed and errors:  # the table, not a file: each error beside its field
        field_errors = _typed_errors(wave, errors)
        errors = [e for e in errors if not (e.line and e.column == "transactions")]
    current = frame.frame_rows(wave)
    coarse = {a: n for a, s, n in current if not s}
    status = 400 if errors or field_errors or upload.errors else 200
    return render_template("admin/waves/frame.html", wave=wave, form=form, upload=upload, errors=errors,
                           field_errors=field_errors, coarse=coarse, typed=typed,
                           fine=[r for r in current if r[1]]), status


def _margins_text(wave) -> str:
    """The stored margins as CSV with totals written in the interface language ("1234,5" in
    Vietnamese, quoted), so that saving the text unchanged stores the same numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["variable", "category", "total"])
    writer.writerows([v, c, numbers.plain(t)] for v, c, t in frame.margin_rows(wave))
    return out.getvalue()


def _typed_errors(wave, errors) -> dict[str, str]:
    """Errors of the typed table by agency code, naming the field instead of a line of a file."""
    codes = {line: agency.code for line, agency in enumerate(wave.agencies, start=1)}
    return {codes[e.line]: _("Transactions of %(agency)s: %(problem)s",
                             agency=codes[e.line], problem=e.message)
            for e in errors if e.line in codes and e.column == "transactions"}


@bp.route("/waves/<slug>/margins", methods=["GET", "POST"])
@admin_only
def wave_margins(slug: str):
    wave = wave_or_404(slug)
    form, upload, errors = ConfirmForm(), UploadForm(), []
    text, data = _margins_text(wave), None
    if "file" in request.files and upload.validate_on_submit():
        data = upload_bytes(upload.file.data)
    elif form.validate_on_submit():
        text = data = request.form.get("margins", "")[:200_000]  # the same CSV, typed
    if data is not None and (done := commit_or_show(
            form, lambda: frame.import_margins(wave, data, actor=current_user()),
            lambda count: _("Population margins saved: %(num)d rows.", num=count),
            url_for("admin.wave_detail", slug=slug), row_errors=errors)):
        return done
    status = 400 if errors or upload.errors else 200
    return render_template("admin/waves/margins.html", wave=wave, form=form, upload=upload, errors=errors,
                           text=text), status
