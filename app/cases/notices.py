"""Case messages to staff through the outbox (issue 17 × 18); `flask outbox run` calls queue_due
on every loop, `flask cases remind` and `flask cases digest` queue them by hand.

* Deadline reminders, on working days from SEND_FROM_HOUR (local time): to every active account of a unit (role "agency", the
  accounts that handle its cases, app.cases.service.may_handle) whose open cases are overdue or
  due within CASE_REMIND_DAYS working days: one e-mail per account per day listing them (number,
  category, due date; never the citizen's text or contact), key "case-reminder:<user id>:<day>".
* The weekly digest, from the first pass of an ISO week on (Monday morning when the worker runs): the
  previous week's figures to every active account that opted in (User.digest_opt_in) and may read
  cases: its unit's for an agency account, the province's (and every unit's) for officials and
  administrators; key "digest:<user id>:<ISO year>-W<week>" of the week reported.

The keys make every producer idempotent: running twice queues nothing new. Staff messages are in
BABEL_DEFAULT_LOCALE (accounts keep no language).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.cases import calendar, labels, queries
from app.extensions import db
from app.models import Agency, OutboxMessage, User
from app.models.case import CaseEvent, FeedbackCase
from app.outbox import queue
from app.shared import audit
from app.shared.refusal import Refusal

DIGEST_ROLES = queries.READERS  # those who may read cases; officials and admins: the province
PROVINCE_ROLES = ("admin", "official")
SEND_FROM_HOUR = 7  # local time: staff messages are queued from the start of the working day


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")


def local_time(now: datetime | None = None) -> datetime:
    """The units' local time at `now` (naive: UTC, as the database keeps times); default: now."""
    if now is None:
        return datetime.now(_zone())
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(_zone())


def week_key(week: tuple[int, int]) -> str:
    return f"{week[0]}-W{week[1]:02d}"


def previous_week(day: date) -> tuple[int, int]:
    year, number, _weekday = (day - timedelta(days=7)).isocalendar()
    return year, number


def queue_due(now: datetime | None = None) -> int:
    """From SEND_FROM_HOUR local time on: queue the reminders of today (a working day) and last
    week's digests not queued yet; returns how many messages were queued (flushes; the caller
    commits)."""
    moment = local_time(now)
    if moment.hour < SEND_FROM_HOUR:
        return 0
    day = moment.date()
    count = queue_reminders(day) if calendar.is_working_day(day, calendar.special_days()) else 0
    return count + queue_digests(previous_week(day))


def _queued(key: str) -> bool:
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)) is not None


def _language() -> str:
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "vi")[:2]


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def unit_staff(agency_ids) -> list[User]:
    """The active accounts that handle the units' cases (role "agency"), with an e-mail."""
    return list(db.session.scalars(select(User).where(User.role == "agency", User.agency_id.in_(list(agency_ids)),
                                                      User.active.is_(True), User.email != "")
                                   .order_by(User.id)))


def queue_reminders(day: date) -> int:
    """One e-mail per account of each unit with cases overdue or due soon on `day`."""
    due = queries.reminders(day)
    by_unit: dict[int, list[queries.Reminder]] = {items[0].case.agency_id: items for items in due.values()}
    count = 0
    language = _language()
    for user in unit_staff(by_unit):
        key = f"case-reminder:{user.id}:{day.isoformat()}"
        if _queued(key):
            continue
        items = by_unit[user.agency_id]
        with force_locale(language):
            agency = user.agency.name(language)
            late = sum(r.overdue for r in items)
            subject = ngettext("%(num)d feedback case of %(agency)s needs an answer",
                               "%(num)d feedback cases of %(agency)s need an answer", len(items), agency=agency)
            rows = [{"id": r.case.id, "category": labels.label(labels.CATEGORIES, r.case.category),
                     "due_on": r.case.due_on.strftime("%d/%m/%Y"), "overdue": r.overdue,
                     "days": abs(r.working_days_left), "link": f"{_base()}/admin/cases/{r.case.id}"} for r in items]
            values = {"agency": agency, "rows": rows, "late": late, "day": day.strftime("%d/%m/%Y"),
                      "list_link": f"{_base()}/admin/cases?state=open", "subject": subject}
            content = queue.Content(to=user.email, subject=subject,
                                    text=render_template("messages/case_reminder.txt", **values).strip() + "\n",
                                    html=render_template("messages/case_reminder.html", **values))
        queue.enqueue("case_reminder", "email", content, idempotency_key=key, language=language,
                      agency_id=user.agency_id, user_id=user.id)
        count += 1
    return count


@dataclass
class Week:
    """A unit's (or the province's) week of feedback handling."""

    received: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0  # open past the due date at the end of the week
    rated: int = 0
    satisfied: int = 0

    def add(self, other: Week) -> None:
        for name in ("received", "answered", "on_time", "overdue", "rated", "satisfied"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def week_figures(agency_ids: list[int], week: tuple[int, int]) -> dict[int, Week]:
    """Per unit over the ISO week: cases received (opened), answered and of them on time, still
    open past their due date on the Sunday, and the citizens' verdicts given in the week."""
    monday = date.fromisocalendar(week[0], week[1], 1)
    sunday = monday + timedelta(days=6)
    out: dict[int, Week] = defaultdict(Week)
    cases = db.session.execute(
        select(FeedbackCase.agency_id, FeedbackCase.opened_on, FeedbackCase.due_on, FeedbackCase.answered_on,
               FeedbackCase.closed_on)
        .where(FeedbackCase.agency_id.in_(agency_ids), FeedbackCase.opened_on <= sunday,
               or_(FeedbackCase.closed_on.is_(None), FeedbackCase.closed_on >= monday)))
    for agency_id, opened, due, answered, closed in cases:
        row = out[agency_id]
        row.received += monday <= opened <= sunday
        if answered is not None and monday <= answered <= sunday:
            row.answered += 1
            row.on_time += answered <= due
        still_open = (answered is None or answered > sunday) and (closed is None or closed > sunday)
        row.overdue += still_open and due < sunday
    zone = _zone()
    start = datetime.combine(monday, time(), zone).astimezone(UTC).replace(tzinfo=None)
    end = start + timedelta(days=7)
    ratings = db.session.execute(
        select(FeedbackCase.agency_id, CaseEvent.note).join(FeedbackCase, FeedbackCase.id == CaseEvent.case_id)
        .where(FeedbackCase.agency_id.in_(agency_ids), CaseEvent.action == "rate", CaseEvent.at >= start,
               CaseEvent.at < end))
    for agency_id, note in ratings:
        out[agency_id].rated += 1
        out[agency_id].satisfied += note == "satisfied"
    return out


def _units(user: User, monday: date, sunday: date) -> list[Agency]:
    if user.role in PROVINCE_ROLES:
        return [a for a in db.session.scalars(select(Agency).order_by(Agency.code)) if a.valid_during(monday, sunday)]
    return [user.agency] if user.agency is not None else []


def may_get_digest(user: User | None) -> bool:
    return user is not None and user.role in DIGEST_ROLES and (user.role != "agency" or user.agency_id is not None)


def set_digest(user: User, wanted: bool) -> bool:
    """The account's own choice (audited: the choice only); returns whether it changed."""
    if not may_get_digest(user):
        raise Refusal("digest", _("only accounts that read feedback cases can receive their digest"), 403)
    before = bool(user.digest_opt_in)
    if before == wanted:
        return False
    user.digest_opt_in = wanted
    db.session.flush()
    audit.record("user.digest", "user", user.id, user=user, before={"digest_opt_in": before},
                 after={"digest_opt_in": wanted})
    return True


def digest_readers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.digest_opt_in.is_(True), User.active.is_(True),
                                                      User.role.in_(DIGEST_ROLES)).order_by(User.id)))


def queue_digests(week: tuple[int, int]) -> int:
    """The week's digest to every opted-in account that has none for it yet."""
    count = 0
    monday = date.fromisocalendar(week[0], week[1], 1)
    sunday = monday + timedelta(days=6)
    language = _language()
    for user in digest_readers():
        key = f"digest:{user.id}:{week_key(week)}"
        if _queued(key):
            continue
        units = _units(user, monday, sunday)
        if not units:
            continue
        figures = week_figures([a.id for a in units], week)
        total = Week()
        rows = []
        for unit in units:
            row = figures.get(unit.id, Week())
            total.add(row)
            rows.append({"agency": unit.name(language), "code": unit.code, "week": row})
        with force_locale(language):
            scope = _("the province") if user.role in PROVINCE_ROLES else units[0].name(language)
            subject = _("Feedback cases of %(scope)s, week %(week)s", scope=scope, week=week_key(week))
            values = {"subject": subject, "scope": scope, "week": week_key(week), "total": total,
                      "rows": rows if user.role in PROVINCE_ROLES else [], "monday": monday.strftime("%d/%m/%Y"),
                      "sunday": sunday.strftime("%d/%m/%Y"), "link": f"{_base()}/dashboard/-/cases",
                      "account_link": f"{_base()}/account"}
            content = queue.Content(to=user.email, subject=subject,
                                    text=render_template("messages/digest.txt", **values).strip() + "\n",
                                    html=render_template("messages/digest.html", **values))
        queue.enqueue("digest", "email", content, idempotency_key=key, language=language,
                      agency_id=user.agency_id if user.role not in PROVINCE_ROLES else None, user_id=user.id)
        count += 1
    return count
