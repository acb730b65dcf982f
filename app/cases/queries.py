"""Reading cases for staff: who sees which (administrators and officials every unit, an agency
account its own), the filtered list, one case with its events, reminders and the API rows.
Nothing here reads a contact: staff never see how to reach the citizen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from app.cases import calendar
from app.cases.service import OPEN_STATES
from app.extensions import db
from app.models import Agency, User
from app.models.case import CASE_STATES, CaseEvent, FeedbackCase
from app.shared.paging import Page, paginate

READERS = ("admin", "official", "agency")
STATE_FILTERS = ("open", "overdue", *CASE_STATES)  # "open": not closed


def visible(user: User | None) -> Select | None:
    """The cases `user` may read, or None when none at all."""
    if user is None or user.role not in READERS:
        return None
    query = select(FeedbackCase).options(joinedload(FeedbackCase.agency))
    if user.role == "agency":
        if user.agency_id is None:
            return None
        query = query.where(FeedbackCase.agency_id == user.agency_id)
    return query


def filtered(query: Select, *, state: str | None = None, agency_code: str | None = None,
             today: date | None = None) -> Select:
    if agency_code:
        query = query.where(FeedbackCase.agency.has(Agency.code == agency_code))
    if state == "open":
        query = query.where(FeedbackCase.state != "closed")
    elif state == "overdue":
        query = query.where(FeedbackCase.state.in_(OPEN_STATES),
                            FeedbackCase.due_on < (today or calendar.today()))
    elif state in CASE_STATES:
        query = query.where(FeedbackCase.state == state)
    return query


def case_list(user: User, *, state: str | None = None, agency_code: str | None = None,
              today: date | None = None, page: int = 1) -> Page | None:
    query = visible(user)
    if query is None:
        return None
    query = filtered(query, state=state, agency_code=agency_code, today=today)
    return paginate(query.order_by(FeedbackCase.due_on, FeedbackCase.id), page)


def case_for(user: User | None, case_id: int) -> FeedbackCase | None:
    """The case if `user` may read it; None both for a missing case and for another unit's."""
    query = visible(user)
    if query is None:
        return None
    return db.session.scalar(query.where(FeedbackCase.id == case_id))


def events_of(case: FeedbackCase) -> list[tuple[CaseEvent, User | None]]:
    return [tuple(row) for row in db.session.execute(
        select(CaseEvent, User).outerjoin(User, User.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)).all()]


def handlers_of(case: FeedbackCase) -> list[User]:
    """Who the case can be handed to: the unit's own active agency accounts and the administrators."""
    query = select(User).where(((User.role == "agency") & (User.agency_id == case.agency_id)) | (User.role == "admin"),
                               User.active.is_(True))
    return list(db.session.scalars(query.order_by(User.role, User.email)))


@dataclass(frozen=True)
class Reminder:
    case: FeedbackCase
    overdue: bool
    working_days_left: int  # 0 on the due day; negative: that many working days late


def reminders(today: date | None = None) -> dict[str, list[Reminder]]:
    """Per agency code: the open cases overdue or due within CASE_REMIND_DAYS working days."""
    day = today or calendar.today()
    days = calendar.special_days()
    horizon = calendar.add_working_days(day, int(current_app.config["CASE_REMIND_DAYS"]), days)
    rows = db.session.scalars(select(FeedbackCase).options(joinedload(FeedbackCase.agency))
                              .where(FeedbackCase.state.in_(OPEN_STATES), FeedbackCase.due_on <= horizon)
                              .order_by(FeedbackCase.due_on, FeedbackCase.id))
    out: dict[str, list[Reminder]] = {}
    for case in rows:
        if case.due_on < day:
            left = -calendar.working_days_between(case.due_on, day, days)
        else:
            left = calendar.working_days_between(day, case.due_on, days)
        out.setdefault(case.agency.code, []).append(Reminder(case, case.due_on < day, left))
    return dict(sorted(out.items()))


def api_rows(user: User, *, agency_code: str | None = None, state: str | None = None,
             today: date | None = None) -> list[dict]:
    query = visible(user)
    if query is None:
        return []
    query = filtered(query, state=state, agency_code=agency_code, today=today)
    return [{"id": c.id, "agency": c.agency.code, "category": c.category, "state": c.state,
             "opened_on": c.opened_on.isoformat(), "due_on": c.due_on.isoformat()}
            for c in db.session.scalars(query.order_by(FeedbackCase.id))]
