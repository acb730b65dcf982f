"""A wave's response funnel: invitations issued → sent → delivered → opened → completed, per agency ×
channel (× ISO week of the invitation), with AAPOR-style rates; the agencies whose response rate
makes their figure fragile; the R-indicator; the funnel cells of the nonresponse adjustment.

Counts come from ONE grouped SQL query over the wave's invitations (a left join on their
invitation messages summed per invitation): no ORM object per invitation, nothing per person.
These are counts of invitations, not answers: nothing is suppressed, but no row is ever finer
than agency × channel × week.

Definitions (shown on the funnel page):
- issued: invitations made (channel email|sms|zalo when sent by message, link when the issuer
  handed the link over itself: a printed QR code, the one-stop software);
- sent: its invitation message left for the provider (status sent, delivered or bounced);
- delivered: the provider reported it delivered;
- opened: the link was opened, or the invitation answered (a collection app answers without
  opening the link), so that completed ≤ opened;
- completed: the invitation was answered (used);
- response rate = completed / issued (AAPOR RR1-like: every issued invitation counts as eligible);
- cooperation rate = completed / opened (of those who opened the link, how many answered);
- contact rate = (delivered or opened) / issued.
"""
from __future__ import annotations

import time
from datetime import date, datetime

from flask import current_app
from sqlalchemy import Date, case, cast, func, select

from app.extensions import db
from app.models import Agency, Invitation, OutboxMessage, User, Wave
from app.models.outbox import MESSAGE_CHANNELS

COUNTS = ("issued", "sent", "delivered", "opened", "completed")
SENT_STATUSES = ("sent", "delivered", "bounced")
BY = ("agency", "week")  # what `by` may name (agency always; week adds the ISO week)
# The fragile warning looks at invitations sent by message only (email, sms, zalo): a printed link
# may never have reached anybody, so links would make every response rate look low. An agency
# needs at least this many of them before its rate is judged.
FRAGILE_MIN_ISSUED = 20


def _day(column):
    """The day of a timestamp, in SQL (CAST AS DATE is numeric on SQLite)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def iso_week(day: date | str | datetime) -> str:
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _raw(wave: Wave, agency_id: int | None, by_day: bool) -> list[tuple]:
    """(agency code, channel, [day,] issued, sent, delivered, opened, completed, contacted).
    An invitation has at most one invitation message (its idempotency key is "invitation:<id>"),
    so a plain left join counts each invitation once (no per-invitation subquery: at a million
    invitations that sort alone doubled the time)."""
    message = OutboxMessage
    opened = (Invitation.opened_at.is_not(None)) | (Invitation.used_at.is_not(None))
    delivered = message.status == "delivered"
    keys = [Agency.code, Invitation.channel, *([_day(Invitation.created_at)] if by_day else [])]
    query = (select(*keys, func.count(Invitation.id),
                    func.sum(case((message.status.in_(SENT_STATUSES), 1), else_=0)),
                    func.sum(case((delivered, 1), else_=0)),
                    func.sum(case((opened, 1), else_=0)),
                    func.count(Invitation.used_at),
                    func.sum(case((opened | delivered, 1), else_=0)))
             .join(Agency, Agency.id == Invitation.agency_id)
             .outerjoin(message, (message.invitation_id == Invitation.id) & (message.kind == "invitation")
                        & (message.wave_id == wave.id))
             .where(Invitation.wave_id == wave.id).group_by(*keys))
    if agency_id is not None:
        query = query.where(Invitation.agency_id == agency_id)
    return [tuple(r) for r in db.session.execute(query)]


def _recent(name: str, wave: Wave, build):
    """``build()`` remembered per process for RESULTS_REFRESH_SECONDS (as the roll-ups are
    folded): the dashboard asks for the fragile agencies on every view, and a scan of a million
    invitations takes a second."""
    seconds = current_app.config.get("RESULTS_REFRESH_SECONDS", 0)
    memo = current_app.extensions.setdefault("sipas_funnel_recent", {})
    key, now = (name, wave.id), time.monotonic()
    found = memo.get(key)
    if seconds > 0 and found is not None and now - found[0] < seconds:
        return found[1]
    value = build()
    if seconds > 0:
        memo[key] = (now, value)
    return value


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def with_rates(row: dict) -> dict:
    """A row of counts with its response, cooperation and contact rates (None when undefined)."""
    row["response_rate"] = _ratio(row["completed"], row["issued"])
    row["cooperation_rate"] = _ratio(row["completed"], row["opened"])
    row["contact_rate"] = _ratio(row["contacted"], row["issued"])
    return row


def rows(wave: Wave, *, by_week: bool = False, agency_id: int | None = None) -> list[dict]:
    """One dict per agency × channel (× ISO week): the counts of COUNTS, contacted, the rates;
    sorted by agency, channel (and week). ``agency_id``: that agency's rows only."""
    summed: dict[tuple, list[int]] = {}
    for record in _raw(wave, agency_id, by_week):
        if by_week:
            code, channel, day, *numbers = record
            key = (code, channel, iso_week(day))
        else:
            code, channel, *numbers = record
            key = (code, channel)
        into = summed.setdefault(key, [0] * 6)
        for i, value in enumerate(numbers):
            into[i] += int(value or 0)
    out = []
    for key in sorted(summed):
        numbers = dict(zip((*COUNTS, "contacted"), summed[key], strict=True))
        row = {"agency": key[0], "channel": key[1], **({"week": key[2]} if by_week else {}), **numbers}
        out.append(with_rates(row))
    return out


def totals(table: list[dict], by: tuple[str, ...] = ()) -> list[dict]:
    """The rows summed (over everything, or per ``by`` columns), with their rates."""
    summed: dict[tuple, dict] = {}
    for row in table:
        key = tuple(row[c] for c in by)
        into = summed.setdefault(key, {**dict(zip(by, key, strict=True)), **{c: 0 for c in (*COUNTS, "contacted")}})
        for c in (*COUNTS, "contacted"):
            into[c] += row[c]
    return [with_rates(summed[k]) for k in sorted(summed)]


def api_rows(wave: Wave, by: list[str], user: User) -> list[dict]:
    """The API's rows (⚑ {agency, channel, issued, sent, delivered, opened, completed,
    response_rate}, + week with by=agency,week); an agency's token: its own rows only."""
    scope = user.agency_id if user.role not in ("admin", "official") else None
    if user.role not in ("admin", "official") and scope is None:
        return []
    fields = ("agency", "channel", *(("week",) if "week" in by else ()), *COUNTS, "response_rate")
    return [{f: row[f] for f in fields} for row in rows(wave, by_week="week" in by, agency_id=scope)]


def fragile_threshold() -> float:
    return float(current_app.config.get("FRAGILE_RESPONSE_RATE", 0.2))


def fragile(wave: Wave) -> dict[str, dict]:
    """Agencies whose response rate (completed / issued over invitations sent by message) is
    below FRAGILE_RESPONSE_RATE with at least FRAGILE_MIN_ISSUED of them: {code: {issued,
    completed, response_rate}}. One scan of the invitations (no messages needed)."""
    threshold = fragile_threshold()

    def build() -> list[tuple]:
        query = (select(Agency.code, func.count(Invitation.id), func.count(Invitation.used_at))
                 .join(Agency, Agency.id == Invitation.agency_id)
                 .where(Invitation.wave_id == wave.id, Invitation.channel.in_(MESSAGE_CHANNELS))
                 .group_by(Agency.code))
        return [tuple(r) for r in db.session.execute(query)]

    out = {}
    for code, issued, completed in _recent("fragile", wave, build):
        if issued >= FRAGILE_MIN_ISSUED and completed / issued < threshold:
            out[code] = {"issued": issued, "completed": completed, "response_rate": completed / issued}
    return out


def issued_cells(wave: Wave) -> dict[tuple[str, str], int]:
    """Issued invitations per (agency code, channel): the nonresponse adjustment's cells (one
    scan of the invitations, no messages needed)."""
    query = (select(Agency.code, Invitation.channel, func.count(Invitation.id))
             .join(Agency, Agency.id == Invitation.agency_id)
             .where(Invitation.wave_id == wave.id).group_by(Agency.code, Invitation.channel))
    return {(code, channel): int(n) for code, channel, n in db.session.execute(query)}


def representativeness(wave: Wave):
    """The R-indicator of the wave's invitations: a logit model of answered ~ agency + channel +
    ISO week of issue (analysis.nonresponse.r_indicator) on the weekly funnel counts."""
    import pandas as pd  # heavy: only the methodology page needs a frame

    from analysis.nonresponse import r_indicator  # statsmodels: slow to import, only this page fits it

    def build():
        table = pd.DataFrame(rows(wave, by_week=True), columns=["agency", "channel", "week", *COUNTS])
        return r_indicator(table, ("agency", "channel", "week"))

    return _recent("r-indicator", wave, build)


def cell_factors(wave: Wave, agency, invited_by, count):
    """Per roll-up cell (its agency code, the channel of its respondents' invitation, "" for none,
    and its ``count`` respondents): the weighting-class factor issued_c / completed_c of its funnel
    cell c = agency × channel (1 without an invitation). completed_c counts the respondents the
    figures hold (an excluded answer is no respondent), not the invitations used."""
    import numpy as np  # heavy: with the figures only

    from analysis.nonresponse import factors  # numpy: with the figures only

    issued = issued_cells(wave)
    cell = [(a, c) if c else None for a, c in zip(agency, invited_by, strict=True)]
    held: dict[tuple[str, str], float] = {}
    for c, n in zip(cell, count, strict=True):
        if c is not None:
            held[c] = held.get(c, 0.0) + float(n)
    funnel = list(held)
    per_cell = dict(zip(funnel, factors([issued.get(c, 0) for c in funnel], [held[c] for c in funnel]), strict=True))
    return np.array([1.0 if c is None else per_cell[c] for c in cell], dtype=float)
