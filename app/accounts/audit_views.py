"""The audit log: who did what, when, and which fields changed; filters and CSV export."""
from __future__ import annotations

from datetime import date

from flask import render_template, request

from app.accounts import audit_log
from app.accounts.access import admin_only
from app.blueprints import admin as bp
from app.shared.web import download, page_arg


def _filter() -> audit_log.AuditFilter:
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    args = request.args
    return audit_log.AuditFilter(action=args.get("action", "")[:80], actor=args.get("actor", "")[:254],
                                 object_type=args.get("object_type", "")[:40],
                                 object_id=args.get("object_id", "")[:80],
                                 date_from=day("from"), date_to=day("to"))


@bp.get("/audit", endpoint="audit_log")
@admin_only
def audit_log_view():
    page = audit_log.search(_filter(), page_arg())
    rows = [(event, audit_log.changes(event.before, event.after)) for event in page.items]
    return render_template("admin/audit/list.html", page=page, rows=rows,
                           actions=audit_log.actions(), object_types=audit_log.object_types(), args=request.args)


@bp.get("/audit/export.csv")
@admin_only
def audit_export():
    return download(audit_log.export_csv(_filter()), "audit-log.csv", "text/csv")
