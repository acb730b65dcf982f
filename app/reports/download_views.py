from __future__ import annotations

from flask import Response, render_template

from app.accounts.access import roles_required
from app.blueprints import dashboard as bp
from app.reports import downloads, pages, refresh
from app.reports.lookups import STAFF, wave_or_404
from app.results import heavy
from app.results.filters import Filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(body: bytes, filename: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/<slug>/report.xlsx")
@roles_required(*STAFF)
@heavy.limit_reads()
def report_xlsx(slug: str):
    wave = wave_or_404(slug)
    return attachment(downloads.workbook(refresh.current(wave)), f"{wave.slug}-report.xlsx", XLSX)


@bp.get("/<slug>/estimates.csv")
@roles_required(*STAFF)
@heavy.limit_reads()
def estimates_csv(slug: str):
    wave = wave_or_404(slug)
    return attachment(downloads.estimates_csv(refresh.current(wave)), f"{wave.slug}-estimates.csv", "text/csv; charset=utf-8")


@bp.get("/<slug>/print")
@roles_required(*STAFF)
@heavy.limit_reads()
def print_report(slug: str):
    wave = wave_or_404(slug)
    return render_template("dashboard/print.html", **pages.wave_page(refresh.current(wave), Filters()))
