"""The administrator's outbox page: messages per channel and status, channels that cannot send
yet (their settings), and the latest errors. Never an address or a message's text."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from app.accounts.access import admin_only
from app.blueprints import admin as bp
from app.outbox import status as outbox_status

CHANNELS = {"email": _l("E-mail"), "sms": _l("SMS"), "zalo": _l("Zalo")}
STATUSES = {"queued": _l("queued"), "sending": _l("sending"), "sent": _l("sent"), "delivered": _l("delivered"),
            "bounced": _l("bounced"), "failed": _l("failed"), "cancelled": _l("cancelled")}
KINDS = {"invitation": _l("invitation"), "reminder": _l("reminder"), "case_answer": _l("answer to a case"),
         "case_update": _l("case update"), "case_reminder": _l("case deadline reminder"),
         "digest": _l("weekly digest")}


@bp.get("/outbox", endpoint="outbox_page")
@admin_only
def outbox_page():
    return render_template("admin/outbox.html", channels=outbox_status.overview(current_app.config),
                           failures=outbox_status.recent_failures(20), channel_names=CHANNELS,
                           status_names=STATUSES, kind_names=KINDS)
