"""Staff messages of feedback cases through the outbox: deadline reminders on the shipped working-day
calendar with an injected clock (one e-mail per unit account per day, idempotent), the weekly
digest to the accounts that opted in (one per ISO week), the CLI, and the opt-in on /account
(CSRF-protected, audited)."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.cases import notices, service
from app.extensions import db
from app.models import AuditEvent, OutboxMessage, User
from app.models.case import CaseEvent
from app.outbox.queue import content_of
from tests import factories
from tests.conftest import login

TEXT = "Nội dung khiếu nại riêng tư của công dân"
ADDRESS = "cong.dan@example.vn"


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}  # staff messages are in the default language: read them in English


@pytest.fixture
def units(app):
    return factories.case_units()


def utc(y, m, d, hour=3) -> datetime:
    """A naive UTC instant (as the worker passes it): 03:00 UTC is 10:00 in Vietnam."""
    return datetime(y, m, d, hour)


def queued(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def open_case(wave, unit, opened: date, due: date | None = None, category="procedures"):
    case, _raw = service.open_case(wave, unit, kind="request", text=TEXT, category=category,
                                   contact=("email", ADDRESS), today=opened)
    if due is not None:
        case.due_on = due
    db.session.commit()
    return case


@pytest.fixture
def staff(units, make_user):
    _wave, own, other = units
    head = make_user("agency", own)[0]
    gone = make_user("agency", own)[0]
    gone.active = False
    theirs = make_user("agency", other)[0]
    make_user("entry", own)
    make_user("admin")
    make_user("official")
    db.session.commit()
    return head, theirs


# --- reminders -----------------------------------------------------------------------------------


def test_a_case_due_tomorrow_reminds_the_units_staff_once_a_day(units, staff):
    wave, own, other = units
    head, _theirs = staff
    case = open_case(wave, own, date(2026, 2, 13))  # due Fri 13 Mar 2026 (15 working days, Tết skipped)
    assert case.due_on == date(2026, 3, 13)
    later = open_case(wave, other, date(2026, 3, 2))  # due Mon 23 Mar: beyond CASE_REMIND_DAYS = 2
    assert later.due_on == date(2026, 3, 23)

    assert notices.queue_due(utc(2026, 3, 12)) == 1  # Thursday: due tomorrow
    [message] = queued("case_reminder")
    assert (message.user_id, message.channel, message.idempotency_key, message.agency_id) == (
        head.id, "email", f"case-reminder:{head.id}:2026-03-12", own.id)
    content = content_of(message)
    assert content.to == head.email
    assert content.subject == f"1 feedback case of {own.name('en')} needs an answer"
    assert f"Case {case.id} · Administrative procedures · due 13/03/2026 · 1 working day(s) left" in content.text
    assert f"http://localhost/admin/cases/{case.id}" in content.text and f"/admin/cases/{later.id}" not in content.text
    for part in (content.text, content.html):  # no citizen data
        assert TEXT not in part and ADDRESS not in part

    assert notices.queue_due(utc(2026, 3, 12, 9)) == 0  # the same day again: nothing new
    assert len(queued("case_reminder")) == 1
    # 23:00 UTC on Thursday is Friday 06:00 in Vietnam: before the working day, nothing yet;
    # 00:30 UTC on Friday is 07:30 there: the due day's reminder
    assert notices.queue_due(utc(2026, 3, 12, 23)) == 0
    assert notices.queue_due(datetime(2026, 3, 13, 0, 30)) == 1
    assert queued("case_reminder")[-1].idempotency_key == f"case-reminder:{head.id}:2026-03-13"
    assert "due 13/03/2026 · 0 working day(s) left" in content_of(queued("case_reminder")[-1]).text
    assert notices.queue_due(utc(2026, 3, 14)) == 0  # Saturday: no reminders
    assert notices.queue_due(utc(2026, 3, 16)) == 1  # Monday: overdue by one working day
    assert "overdue by 1 working day(s)" in content_of(queued("case_reminder")[-1]).text


def test_reminders_count_working_days_across_tet(units, staff):
    wave, own, _other = units
    head, _theirs = staff
    # Friday 13 Feb 2026, before Tết (Mon 16 – Fri 20 Feb off): two working days ahead are 23 and 24 Feb
    soon = open_case(wave, own, date(2026, 1, 20), due=date(2026, 2, 24))
    after = open_case(wave, own, date(2026, 1, 20), due=date(2026, 2, 25))
    assert notices.queue_due(utc(2026, 2, 13)) == 1
    text = content_of(queued("case_reminder")[0]).text
    assert f"Case {soon.id} " in text and f"Case {after.id} " not in text
    assert notices.queue_due(utc(2026, 2, 16)) == 0  # a Tết holiday: no reminder


# --- the weekly digest ---------------------------------------------------------------------------


def rate(case, satisfied: bool, at: datetime) -> None:
    service.rate(case, satisfied)
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "rate")).one()
    event.at = at
    db.session.commit()


@pytest.fixture
def week10(units, staff, make_user):
    """ISO week 2026-W10 (Mon 2 – Sun 8 Mar 2026). OWN: three cases received, two answered on time,
    one older case still open past its due date (2 Mar) on Sunday, two ratings (one satisfied);
    OTHER: one case received."""
    wave, own, other = units
    head, theirs = staff
    handler = head
    answered = open_case(wave, own, date(2026, 3, 2))
    service.answer(answered, "ok", handler, today=date(2026, 3, 4))
    quick = open_case(wave, own, date(2026, 3, 2))
    service.answer(quick, "ok", handler, today=date(2026, 3, 3))
    open_case(wave, own, date(2026, 3, 3))  # open, not due yet
    late = open_case(wave, own, date(2026, 2, 2))  # due Mon 2 Mar, still open
    assert late.due_on == date(2026, 3, 2)
    answered_after = open_case(wave, own, date(2026, 2, 9))  # due Mon 9 Mar, answered Tue 10 Mar
    service.answer(answered_after, "ok", handler, today=date(2026, 3, 10))
    open_case(wave, other, date(2026, 3, 5))
    db.session.commit()
    rate(answered, True, datetime(2026, 3, 5, 2))
    rate(quick, False, datetime(2026, 3, 8, 16, 30))  # Sunday 23:30 in Vietnam: still week 10
    rate(answered_after, True, datetime(2026, 3, 8, 17, 30))  # Monday 00:30 in Vietnam: week 11
    official = db.session.scalars(select(User).where(User.role == "official")).one()
    colleague = make_user("agency", own)[0]  # not opted in
    for user in (head, theirs, official):
        user.digest_opt_in = True
    db.session.commit()
    return head, theirs, official, colleague


def test_week_figures_by_hand(units, week10):
    _wave, own, other = units
    figures = notices.week_figures([own.id, other.id], (2026, 10))
    assert figures[own.id] == notices.Week(received=3, answered=2, on_time=2, overdue=1, rated=2, satisfied=1)
    assert figures[other.id] == notices.Week(received=1)


def test_an_opted_in_unit_head_gets_one_digest_a_week(units, week10):
    _wave, own, other = units
    head, theirs, official, colleague = week10
    assert notices.queue_due(datetime(2026, 3, 8, 23, 30)) == 0  # Monday 06:30 in Vietnam: not yet
    notices.queue_due(utc(2026, 3, 9, 1))  # Monday 08:00 in Vietnam
    digests = queued("digest")
    assert {m.user_id for m in digests} == {head.id, theirs.id, official.id}
    assert colleague.id not in {m.user_id for m in digests}
    mine = next(m for m in digests if m.user_id == head.id)
    assert mine.idempotency_key == f"digest:{head.id}:2026-W10" and mine.agency_id == own.id
    content = content_of(mine)
    assert content.to == head.email
    assert content.subject == f"Feedback cases of {own.name('en')}, week 2026-W10"
    for line in ("received: 3", "answered: 2, of which on time: 2", "overdue at the end of the week: 1",
                 "satisfied with the handling: 1 of 2 citizens who rated it", "http://localhost/dashboard/-/cases"):
        assert line in content.text, line
    assert TEXT not in content.text and ADDRESS not in content.text and "OTHER" not in content.text
    assert "received: 1" in content_of(next(m for m in digests if m.user_id == theirs.id)).text
    province = content_of(next(m for m in digests if m.user_id == official.id))
    assert "Feedback cases of the province" in province.subject and "received: 4" in province.text
    assert re.search(r"OWN .*: 3 / 2 / 2 / 1 / 1 of 2", province.text)
    assert re.search(r"OTHER .*: 1 / 0 / 0 / 0 / 0 of 0", province.text)

    assert notices.queue_due(utc(2026, 3, 9, 5)) == 0  # the same Monday again: nothing new at all
    assert len(queued("digest")) == 3
    notices.queue_due(utc(2026, 3, 11))  # Wednesday: the week's digest was queued on Monday
    assert len(queued("digest")) == 3
    notices.queue_due(utc(2026, 3, 17))  # the worker was down on Monday 16: Tuesday's first pass
    assert len(queued("digest")) == 6
    assert {m.idempotency_key for m in queued("digest")[3:]} == {f"digest:{u.id}:2026-W11" for u in (head, theirs, official)}
    week11 = content_of(next(m for m in queued("digest")[3:] if m.user_id == head.id)).text
    assert "satisfied with the handling: 1 of 1 citizens who rated it" in week11  # Monday 00:30 local


def test_the_cli_queues_reminders_and_digests(runner, units, week10):
    head, theirs, official, colleague = week10
    result = runner.invoke(args=["cases", "digest", "--week", "2026-W10"])
    assert result.exit_code == 0, result.output
    assert "3 digest(s) queued for 2026-W10" in result.output
    assert "0 digest(s) queued" in runner.invoke(args=["cases", "digest", "--week", "2026-W10"]).output
    bad = runner.invoke(args=["cases", "digest", "--week", "2026-W60"])
    assert bad.exit_code == 1 and "--week: expected an ISO week such as 2026-W49" in bad.output
    remind = runner.invoke(args=["cases", "remind", "--today", "2026-03-09"])
    assert remind.exit_code == 0 and "2 reminder(s) queued for 2026-03-09" in remind.output
    assert [m.user_id for m in queued("case_reminder")] == [head.id, colleague.id]  # OWN's two accounts
    printed = runner.invoke(args=["cases", "remind", "--print", "--today", "2026-03-09"])
    assert "OWN: 1 case(s) need an answer, 1 overdue" in printed.stdout
    assert len(queued("case_reminder")) == 2  # --print queues nothing


# --- the opt-in ----------------------------------------------------------------------------------


def checkbox(page: str) -> str:
    return re.search(r'<input[^>]*name="digest"[^>]*>', page).group(0)


def signed_in(app, make_user, role, agency=None):
    user, password = make_user(role, agency)
    client = app.test_client()
    assert login(client, user.email, password).status_code == 302
    return client, user


def test_the_account_page_opts_in_and_out_audited(app, make_user, units):
    _wave, own, _other = units
    client, user = signed_in(app, make_user, "agency", own)
    page = client.get("/account").get_data(as_text=True)
    assert "Send me the weekly digest of feedback cases" in page
    assert "checked" not in checkbox(page)
    done = client.post("/account", data={"digest": "y"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/account")
    db.session.expire_all()
    assert db.session.get(User, user.id).digest_opt_in is True
    assert "checked" in checkbox(client.get("/account").get_data(as_text=True))
    client.post("/account", data={})
    db.session.expire_all()
    assert db.session.get(User, user.id).digest_opt_in is False
    rows = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.digest").order_by(AuditEvent.id)))
    assert [(r.user_id, r.before, r.after) for r in rows] == [
        (user.id, {"digest_opt_in": False}, {"digest_opt_in": True}),
        (user.id, {"digest_opt_in": True}, {"digest_opt_in": False})]
    client.post("/account", data={})  # no change: no audit row
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.digest")).all()) == 2


def test_the_opt_in_needs_the_csrf_token(app, make_user, units):
    _wave, own, _other = units
    client, user = signed_in(app, make_user, "agency", own)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/account", data={"digest": "y"})
        assert refused.status_code == 400
        db.session.expire_all()
        assert db.session.get(User, user.id).digest_opt_in is False
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"',
                          client.get("/account").get_data(as_text=True))
        value = token.group(1) or token.group(2)
        assert client.post("/account", data={"digest": "y", "csrf_token": value}).status_code == 303
        db.session.expire_all()
        assert db.session.get(User, user.id).digest_opt_in is True
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_only_accounts_that_read_cases_see_the_opt_in(app, make_user, units):
    _wave, own, _other = units
    client, user = signed_in(app, make_user, "entry", own)
    page = client.get("/account")
    assert page.status_code == 200 and 'name="digest"' not in page.get_data(as_text=True)
    assert client.post("/account", data={"digest": "y"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, user.id).digest_opt_in is False
    official, _user = signed_in(app, make_user, "official")
    assert 'name="digest"' in official.get("/account").get_data(as_text=True)
