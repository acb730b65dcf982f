from __future__ import annotations

from flask import Response, abort, render_template, request

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
    """The rates per agency: the receiving unit (default), or with ``attribute=processing`` the
    unit that processed the dossier (Decree 118/2025: it may be another)."""
    wave = wave_or_404(slug)
    by = ATTRIBUTES.get(request.args.get("attribute", "receiving"))
    if by is None:
        abort(400)
    suffix = "" if by == ("agency",) else "-processing"
    return attachment(downloads.estimates_csv(refresh.current(wave), by), f"{wave.slug}-estimates{suffix}.csv",
                      "text/csv; charset=utf-8")


# the figures of a dossier attributed to the unit that received it or to the one that processed it
ATTRIBUTES = {"receiving": ("agency",), "processing": ("processing_unit",)}


@bp.get("/<slug>/print")
@roles_required(*STAFF)
@heavy.limit_reads()
def print_report(slug: str):
    wave = wave_or_404(slug)
    return render_template("dashboard/print.html", **pages.wave_page(refresh.current(wave), Filters()))
