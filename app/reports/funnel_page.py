"""The response funnel page of a wave: the table per agency × channel with totals and rates, a bar
chart of the stages, the weekly totals, and the CSV (app.results.funnel computes the counts)."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import current_language
from app.models import User, Wave
from app.reports.charts import Chart, embed
from app.reports.lookups import STAFF
from app.results import funnel
from app.shared import cells

STAGES = {"issued": _l("Issued"), "sent": _l("Sent"), "delivered": _l("Delivered"), "opened": _l("Opened"),
          "completed": _l("Completed")}
CHANNELS = {"email": _l("E-mail"), "sms": _l("SMS"), "zalo": _l("Zalo"),
            "link": _l("Link handed over (QR code, one-stop software)")}
CSV_COLUMNS = ("agency", "channel", "week", *funnel.COUNTS, "contacted", "response_rate", "cooperation_rate",
               "contact_rate")


def _scope(user: User) -> int | None:
    """None: every agency (staff); else the one agency an agency account sees (-1: none)."""
    if user.role in STAFF:
        return None
    return user.agency_id if user.agency_id is not None else -1


def channel_name(code: str) -> str:
    return str(CHANNELS.get(code, code))


def page(wave: Wave, user: User) -> dict:
    scope = _scope(user)
    table = funnel.rows(wave, agency_id=scope)
    weekly = funnel.rows(wave, by_week=True, agency_id=scope)
    names = {a.code: a.name(current_language()) for a in wave.agencies}
    for row in table:
        row["name"] = names.get(row["agency"], row["agency"])
    by_channel = funnel.totals(table, ("channel",))
    total = funnel.totals(table)
    fragile = funnel.fragile(wave)
    if scope is not None:  # an agency account: its own marker only
        fragile = {k: v for k, v in fragile.items() if user.agency is not None and k == user.agency.code}
    return {"wave": wave, "rows": table, "by_channel": by_channel, "total": total[0] if total else None,
            "weeks": funnel.totals(weekly, ("week", "channel")), "fragile": fragile,
            "chart": _chart(by_channel) if by_channel else None, "channel_name": channel_name,
            "stages": STAGES, "min_issued": funnel.FRAGILE_MIN_ISSUED, "threshold": funnel.fragile_threshold()}


def _chart(by_channel: list[dict]) -> Chart:
    import plotly.graph_objects as go  # slow to import, only chart pages need it

    title = _("Invitations at each stage, by channel")
    fig = go.Figure()
    stages = [str(label) for label in STAGES.values()]
    for row in by_channel:
        fig.add_trace(go.Bar(name=channel_name(row["channel"]), y=stages, x=[row[s] for s in STAGES],
                             orientation="h"))
    fig.update_layout(title=title, barmode="group", height=360, xaxis_title=_("Invitations"),
                      legend_title=_("Channel"))
    fig.update_yaxes(autorange="reversed")  # issued on top, completed at the bottom
    return Chart("funnel", title, embed(fig), by_channel)


def csv_bytes(wave: Wave, user: User) -> bytes:
    """Agency × channel × ISO week rows with every count and rate (rates as fractions)."""
    out = io.StringIO()
    writer = cells.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in funnel.rows(wave, by_week=True, agency_id=_scope(user)):
        writer.writerow(["" if row.get(c) is None else (round(row[c], 6) if isinstance(row[c], float) else row[c])
                         for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")
