"""Staff pages of feedback cases: an agency account reads and answers its own unit's cases only
(another unit's is a 404), officials read without acting, the contact never appears on any page;
the administrator's calendar page edits the working-day calendar, audited."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.cases import calendar, service
from app.extensions import db
from app.models import AuditEvent, FeedbackCase, Holiday
from tests import factories
from tests.conftest import login

ADDRESS = "tran.thi.b@example.vn"
PHONE = "0987654321"


@pytest.fixture
def units(app):
    return factories.case_units()


def _open(wave, unit, text="Thủ tục quá lâu", contact=("email", ADDRESS)):
    case, _raw = service.open_case(wave, unit, kind="request", text=text, contact=contact, today=date(2026, 2, 13))
    db.session.commit()
    return case


def _client(app, make_user, role, agency=None):
    user, password = make_user(role, agency)
    client = app.test_client()
    assert login(client, user.email, password).status_code == 302
    return client, user


def test_agency_account_sees_and_answers_only_its_own_units_cases(app, make_user, units):
    wave, own, other = units
    mine = _open(wave, own, "Hồ sơ của tôi ở OWN")
    theirs = _open(wave, other, "Hồ sơ ở OTHER", contact=("sms", PHONE))
    client, user = _client(app, make_user, "agency", own)

    listing = client.get("/admin/cases?state=").get_data(as_text=True)
    assert f"/admin/cases/{mine.id}" in listing and f"/admin/cases/{theirs.id}" not in listing
    # asking for the other unit in the filter changes nothing for an agency account
    listing = client.get("/admin/cases?agency=OTHER").get_data(as_text=True)
    assert f"/admin/cases/{theirs.id}" not in listing

    assert client.get(f"/admin/cases/{theirs.id}").status_code == 404
    assert client.post(f"/admin/cases/{theirs.id}/answer", data={"answer-answer": "x"}).status_code == 404
    assert db.session.get(FeedbackCase, theirs.id).state == "new"

    page = client.get(f"/admin/cases/{mine.id}")
    assert page.status_code == 200 and "Hồ sơ của tôi ở OWN" in page.get_data(as_text=True)
    done = client.post(f"/admin/cases/{mine.id}/answer", data={"answer-answer": "Chúng tôi đã xử lý xong."})
    assert done.status_code == 303
    db.session.expire_all()
    case = db.session.get(FeedbackCase, mine.id)
    assert case.state == "answered" and case.answer == "Chúng tôi đã xử lý xong."
    assert case.assigned_to_id == user.id
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.answer")).one()
    assert audit.user_id == user.id and audit.object_id == str(mine.id)
    closed = client.post(f"/admin/cases/{mine.id}/close")
    assert closed.status_code == 303
    db.session.expire_all()
    assert db.session.get(FeedbackCase, mine.id).state == "closed"


def test_an_empty_answer_is_shown_on_the_page_not_stored(app, make_user, units):
    wave, own, _other = units
    case = _open(wave, own)
    client, _user = _client(app, make_user, "agency", own)
    page = client.post(f"/admin/cases/{case.id}/answer", data={"answer-answer": ""})
    assert page.status_code == 400
    # a refusal from the service (wrong state) shows on the page too
    client.post(f"/admin/cases/{case.id}/answer", data={"answer-answer": "ok"})
    again = client.post(f"/admin/cases/{case.id}/answer", data={"answer-answer": "again"})
    assert again.status_code == 400 and 'role="alert"' in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FeedbackCase, case.id).answer == "ok"


def test_official_reads_every_unit_but_cannot_act(app, make_user, units):
    wave, own, other = units
    first, second = _open(wave, own), _open(wave, other)
    client, _user = _client(app, make_user, "official")
    listing = client.get("/admin/cases").get_data(as_text=True)
    assert f"/admin/cases/{first.id}" in listing and f"/admin/cases/{second.id}" in listing
    only = client.get("/admin/cases?agency=OTHER").get_data(as_text=True)
    assert f"/admin/cases/{first.id}\"" not in only and f"/admin/cases/{second.id}" in only
    assert client.get(f"/admin/cases/{second.id}").status_code == 200
    assert client.post(f"/admin/cases/{second.id}/answer", data={"answer-answer": "x"}).status_code == 403
    assert client.post(f"/admin/cases/{second.id}/category", data={"category-category": "results"}).status_code == 403


def test_entry_staff_have_no_case_pages(app, make_user, units):
    _wave, own, _other = units
    client, _user = _client(app, make_user, "entry", own)
    assert client.get("/admin/cases").status_code == 403


def test_admin_assigns_refuses_and_reclassifies(app, make_user, units):
    wave, own, _other = units
    handler, _pw = make_user("agency", own)
    case = _open(wave, own)
    client, _admin = _client(app, make_user, "admin")
    assert client.post(f"/admin/cases/{case.id}/assign", data={"assign-user": handler.id}).status_code == 303
    assert client.post(f"/admin/cases/{case.id}/category", data={"category-category": "procedures"}).status_code == 303
    db.session.expire_all()
    case = db.session.get(FeedbackCase, case.id)
    assert (case.state, case.assigned_to_id, case.category) == ("assigned", handler.id, "procedures")
    # the refusal window (2 working days after Fri 13 Feb 2026, i.e. Tue 24 Feb) has long passed by "today"
    refused = client.post(f"/admin/cases/{case.id}/refuse", data={"refuse-reason": "Không thuộc thẩm quyền"})
    assert refused.status_code == 400 and "2026-02-24" in refused.get_data(as_text=True)
    docs = client.post(f"/admin/cases/{case.id}/documents", data={"documents-note": "Bản sao CCCD"})
    assert docs.status_code == 303
    db.session.expire_all()
    assert db.session.get(FeedbackCase, case.id).due_on > date(2026, 3, 13)


def test_the_contact_is_on_no_staff_page(app, make_user, units):
    wave, own, other = units
    by_mail = _open(wave, own, contact=("email", ADDRESS))
    by_phone = _open(wave, other, contact=("zalo", PHONE))
    service.answer(by_mail, "Đã trả lời", make_user("admin")[0], today=date(2026, 2, 20))
    db.session.commit()
    for role, unit in (("admin", None), ("official", None), ("agency", own), ("agency", other)):
        client, _user = _client(app, make_user, role, unit)
        pages = ["/admin/cases", "/admin/cases?state=", "/admin/cases?state=overdue",
                 f"/admin/cases/{by_mail.id}", f"/admin/cases/{by_phone.id}", "/admin/audit", "/admin/"]
        for url in pages:
            body = client.get(url).get_data(as_text=True)
            assert ADDRESS not in body and PHONE not in body and "987654321" not in body, (role, url)
        assert "/c/" not in client.get(f"/admin/cases/{by_mail.id}").get_data(as_text=True)


def test_calendar_page_adds_and_removes_days_audited(app, make_user):
    client, admin = _client(app, make_user, "admin")
    page = client.get("/admin/calendar?year=2027")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "rule (Labour Code 2019 art. 112" in text
    # a make-up Saturday for 2027, then make the adjacent National Day holiday an ordinary day
    added = client.post("/admin/calendar", data={"day": "2027-02-20", "kind": "workday",
                                                  "name_vi": "Làm bù", "name_en": "Make-up day"})
    assert added.status_code == 303
    assert db.session.get(Holiday, date(2027, 2, 20)).kind == "workday"
    assert db.session.get(Holiday, date(2026, 2, 17)) is not None  # the shipped days came along
    assert client.post("/admin/calendar/2027-09-03/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(Holiday, date(2027, 9, 3)) is None
    assert calendar.due(date(2027, 9, 1), 1) == date(2027, 9, 3)  # Thu 2 Sep off, Fri 3 Sep works now
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "holiday")).all()
    assert actions == ["calendar.set", "calendar.remove"]
    # a day off on a Sunday is refused, naming the field
    bad = client.post("/admin/calendar", data={"day": "2027-02-21", "kind": "holiday", "name_vi": "x"})
    assert bad.status_code == 400
    assert db.session.get(Holiday, date(2027, 2, 21)) is None


def test_calendar_page_is_for_admins(app, make_user):
    client, _user = _client(app, make_user, "official")
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"day": "2027-02-20", "kind": "workday", "name_vi": "x"}).status_code == 403
