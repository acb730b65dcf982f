"""The case service: opening (token only hashed, contact sealed), every allowed and refused
transition, the refusal and reopen windows, audit without the contact, purge after retention."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from app.cases import service
from app.extensions import db
from app.models import AuditEvent, CaseContact, CaseEvent, FeedbackCase
from app.shared import sealed as contacts
from app.shared.refusal import Refusal
from tests import factories

FRI_13_FEB_2026 = date(2026, 2, 13)  # the Friday before Tết 2026
ADDRESS = "nguyen.van.a@example.vn"


@pytest.fixture
def unit(wave):
    return wave.agencies[0]


@pytest.fixture
def staff(make_user, unit):
    return make_user("agency", unit)[0]


@pytest.fixture
def admin(make_user):
    return make_user("admin")[0]


def opened(wave, unit, contact=("email", ADDRESS), day=FRI_13_FEB_2026):
    case, raw = service.open_case(wave, unit, kind="request", text="Hồ sơ của tôi bị trễ hạn",
                                  contact=contact, today=day)
    db.session.commit()
    return case, raw


def test_open_computes_the_deadline_and_keeps_only_the_token_hash(wave, unit):
    case, raw = opened(wave, unit)
    assert len(raw) >= 22  # ≥ 128 bits, url-safe base64
    assert case.state == "new" and case.opened_on == FRI_13_FEB_2026
    assert case.due_on == date(2026, 3, 13)  # 15 working days, Tết and weekends skipped (see calendar test)
    assert case.token_hash != raw and raw not in case.token_hash
    stored = db.session.execute(text("SELECT token_hash FROM feedback_case")).scalar_one()
    assert stored == service.case_token_hash(raw)
    assert service.by_token(raw).id == case.id
    assert service.by_token(raw + "x") is None and service.by_token("") is None
    events = db.session.scalars(select(CaseEvent.action)).all()
    assert events == ["open"]


def test_contact_is_sealed_and_never_in_the_database_bytes(app, wave, unit):
    case, raw = opened(wave, unit, contact=("email", ADDRESS))
    row = db.session.get(CaseContact, case.id)
    assert ADDRESS.encode() not in bytes(row.address)
    assert contacts.unseal(row.address) == ADDRESS
    # nothing anywhere in the database holds the address: every text and binary column of every table
    dump = []
    for table in db.metadata.sorted_tables:
        for values in db.session.execute(table.select()).all():
            dump.extend(str(v) if not isinstance(v, bytes) else v.decode("latin-1") for v in values)
    assert not any(ADDRESS in value for value in dump)
    assert not any(raw in value for value in dump)  # the status token: only its keyed hash
    if db.engine.dialect.name == "sqlite":  # and the file itself, byte for byte
        data = open(db.engine.url.database, "rb").read()
        assert ADDRESS.encode() not in data and raw.encode() not in data
        assert "Hồ sơ của tôi bị trễ hạn".encode() in data  # (the check reads the right file)
    assert not any("nguyen.van.a" in str(a.after) + str(a.before) for a in db.session.scalars(select(AuditEvent)))


def test_unseal_with_another_key_fails(app, wave, unit):
    blob = contacts.seal("0912345678")
    app.config["CASE_CONTACT_KEY"] = "jJ2cGJ1oRgA8PFWkYvI0mX8J1y3cZ0M4bQf6oJkq1uY="
    with pytest.raises(contacts.UnsealError):
        contacts.unseal(blob)
    assert contacts.unseal(contacts.seal("0912345678")) == "0912345678"


@pytest.mark.parametrize(("channel", "address", "field"), [
    ("fax", "0912345678", "follow_up.channel"),
    ("email", "not-an-address", "follow_up.address"),
    ("sms", "12345", "follow_up.address"),
    ("zalo", "0212345678", "follow_up.address"),  # a landline has no Zalo
])
def test_bad_contacts_are_refused_naming_the_field(wave, unit, channel, address, field):
    with pytest.raises(Refusal) as refused:
        service.open_case(wave, unit, kind="request", text="x", contact=(channel, address), today=FRI_13_FEB_2026)
    assert refused.value.field == field


def test_phone_numbers_are_normalised(wave, unit):
    for given in ("+84 912 345 678", "84912345678", "0912.345.678"):
        assert service.normalise_address("sms", given) == "0912345678"


def test_text_and_consent(wave, unit):
    with pytest.raises(Refusal) as refused:
        service.open_case(wave, unit, kind="request", text="x" * 2001, today=FRI_13_FEB_2026)
    assert refused.value.field == "follow_up.text"
    with pytest.raises(Refusal) as refused:
        service.open_case(wave, unit, kind="nonsense", text="x", today=FRI_13_FEB_2026)
    assert refused.value.field == "kind"
    with pytest.raises(Refusal) as refused:
        service.check_follow_up("", "email", "bad", consent=False)
    assert [f for f, _m in refused.value.errors] == ["follow_up.text", "follow_up.address", "follow_up.consent"]
    service.check_follow_up("a question", "zalo", "0912345678", consent=True)
    service.check_follow_up("no contact wanted", None, None, consent=False)


def test_happy_path_new_assigned_answered_closed(wave, unit, staff):
    case, _raw = opened(wave, unit)
    service.assign(case, staff, staff)
    assert case.state == "assigned" and case.assigned_to_id == staff.id
    service.answer(case, "Hồ sơ đã được xử lý.", staff, today=date(2026, 3, 2))
    assert (case.state, case.answered_on, case.answer) == ("answered", date(2026, 3, 2), "Hồ sơ đã được xử lý.")
    service.rate(case, True, today=date(2026, 3, 3))
    assert case.satisfied is True
    service.close(case, staff, today=date(2026, 3, 4))
    assert case.state == "closed" and case.closed_on == date(2026, 3, 4)
    assert db.session.get(CaseContact, case.id).delete_after == date(2026, 4, 3)  # + 30 days
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "case")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["case.open", "case.assign", "case.answer", "case.rate", "case.close"]
    events = db.session.scalars(select(CaseEvent).order_by(CaseEvent.id)).all()
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("open", None, "new"), ("assign", "new", "assigned"), ("answer", "assigned", "answered"),
        ("rate", "answered", "answered"), ("close", "answered", "closed")]
    assert all(ADDRESS not in e.note for e in events)


def test_new_can_be_answered_directly(wave, unit, staff):
    case, _ = opened(wave, unit)
    service.answer(case, "Đã trả lời", staff, today=date(2026, 2, 23))
    assert case.state == "answered" and case.assigned_to_id == staff.id


@pytest.mark.parametrize(("state", "action"), [
    ("answered", "assign"), ("closed", "assign"), ("answered", "answer"), ("closed", "answer"),
    ("answered", "documents"), ("closed", "documents"), ("answered", "refuse"), ("closed", "refuse"),
    ("new", "close"), ("assigned", "close"), ("closed", "close"),
    ("new", "rate"), ("assigned", "rate"), ("new", "reopen"), ("assigned", "reopen"),
])
def test_refused_transitions(wave, unit, staff, state, action):
    case, _ = opened(wave, unit)
    case.state = state
    day = date(2026, 2, 23)
    calls = {
        "assign": lambda: service.assign(case, staff, staff),
        "answer": lambda: service.answer(case, "a", staff, today=day),
        "documents": lambda: service.ask_documents(case, "a", staff, today=day),
        "refuse": lambda: service.refuse(case, "a", staff, today=day),
        "close": lambda: service.close(case, staff, today=day),
        "rate": lambda: service.rate(case, True, today=day),
        "reopen": lambda: service.reopen(case, "a", today=day),
    }
    with pytest.raises(Refusal) as refused:
        calls[action]()
    assert refused.value.status == 409
    assert case.state == state


def test_refuse_only_within_two_working_days(wave, unit, staff):
    case, _ = opened(wave, unit)  # Fri 13 Feb 2026: the window ends Tue 24 Feb (after Tết)
    with pytest.raises(Refusal) as refused:
        service.refuse(case, "Không thuộc thẩm quyền", staff, today=date(2026, 2, 25))
    assert refused.value.status == 409 and "2026-02-24" in refused.value.message
    service.refuse(case, "Không thuộc thẩm quyền", staff, today=date(2026, 2, 24))
    assert case.state == "closed" and case.answer == "Không thuộc thẩm quyền"
    assert db.session.get(CaseContact, case.id).delete_after == date(2026, 3, 26)


def test_ask_documents_moves_the_deadline(wave, unit, staff):
    case, _ = opened(wave, unit)  # due Fri 13 Mar 2026
    service.ask_documents(case, "Xin bản sao giấy tờ", staff, today=date(2026, 2, 24))
    assert case.state == "new" and case.due_on == date(2026, 3, 20)  # + 5 working days
    with pytest.raises(Refusal):
        service.ask_documents(case, " ", staff, today=date(2026, 2, 24))


def test_reopen_within_the_window(wave, unit, staff):
    case, _ = opened(wave, unit)
    service.assign(case, staff, staff)
    service.answer(case, "Trả lời", staff, today=date(2026, 3, 2))
    assert service.reopen_until(case) == date(2026, 3, 16)  # Mon 2 Mar + 10 working days
    with pytest.raises(Refusal):
        service.reopen(case, "Chưa ổn", today=date(2026, 3, 17))
    service.reopen(case, "Chưa ổn", today=date(2026, 3, 16))
    assert case.state == "assigned" and case.reopened == 1 and case.answer is None
    assert case.due_on == date(2026, 4, 6)  # Mon 16 Mar + 15 working days
    # reopened from closed too, and a case nobody took goes back to new
    other, _ = opened(wave, unit)
    service.answer(other, "Trả lời", staff, today=date(2026, 3, 2))
    other.assigned_to_id = None
    service.close(other, staff, today=date(2026, 3, 3))
    service.reopen(other, "Lại", today=date(2026, 3, 4))
    assert other.state == "new" and db.session.get(CaseContact, other.id).delete_after is None


def test_only_the_units_account_or_an_admin_handles(wave, unit, make_user, admin):
    case, _ = opened(wave, unit)
    other_unit = factories.agency("B2")
    outsider = make_user("agency", other_unit)[0]
    official = make_user("official")[0]
    for actor in (outsider, official):
        with pytest.raises(Refusal) as refused:
            service.answer(case, "x", actor, today=date(2026, 2, 23))
        assert refused.value.status == 403
    with pytest.raises(Refusal):
        service.assign(case, outsider, admin)
    service.assign(case, admin, admin)
    assert case.state == "assigned"


def test_reclassify_is_for_admins(wave, unit, staff, admin):
    case, _ = opened(wave, unit)
    with pytest.raises(Refusal) as refused:
        service.reclassify(case, "procedures", staff)
    assert refused.value.status == 403
    with pytest.raises(Refusal):
        service.reclassify(case, "nonsense", admin)
    service.reclassify(case, "procedures", admin)
    assert case.category == "procedures" and case.state == "new"


def test_purge_after_retention(wave, unit, staff):
    case, _ = opened(wave, unit)
    keep, _ = opened(wave, unit)
    nothing, _ = opened(wave, unit, contact=None)
    service.answer(case, "ok", staff, today=date(2026, 3, 2))
    service.close(case, staff, today=date(2026, 3, 2))  # delete after 1 Apr 2026
    db.session.commit()
    assert service.purge_contacts(today=date(2026, 3, 31)) == 0
    assert service.purge_contacts(today=date(2026, 4, 1)) == 1
    db.session.commit()
    assert db.session.get(CaseContact, case.id) is None
    assert db.session.get(CaseContact, keep.id) is not None
    assert db.session.get(FeedbackCase, case.id).state == "closed"  # the case itself stays
    assert db.session.get(CaseContact, nothing.id) is None


@pytest.mark.parametrize(("state", "action", "to_state"), [
    ("new", "assign", "assigned"), ("assigned", "assign", "assigned"),
    ("new", "answer", "answered"), ("assigned", "answer", "answered"),
    ("new", "documents", "new"), ("assigned", "documents", "assigned"),
    ("new", "refuse", "closed"), ("assigned", "refuse", "closed"),
    ("answered", "close", "closed"),
    ("answered", "rate", "answered"), ("closed", "rate", "closed"),
    ("answered", "reopen", "assigned"), ("closed", "reopen", "assigned"),
])
def test_allowed_transitions(wave, unit, staff, state, action, to_state):
    case, _ = opened(wave, unit)
    case.state, case.assigned_to_id = state, staff.id
    if state in ("answered", "closed"):
        case.answer, case.answered_on = "Trả lời", date(2026, 2, 23)
    day = date(2026, 2, 24)
    calls = {
        "assign": lambda: service.assign(case, staff, staff),
        "answer": lambda: service.answer(case, "a", staff, today=day),
        "documents": lambda: service.ask_documents(case, "a", staff, today=day),
        "refuse": lambda: service.refuse(case, "a", staff, today=day),
        "close": lambda: service.close(case, staff, today=day),
        "rate": lambda: service.rate(case, False, today=day),
        "reopen": lambda: service.reopen(case, "a", today=day),
    }
    calls[action]()
    assert case.state == to_state
    event = db.session.scalars(select(CaseEvent).order_by(CaseEvent.id.desc()).limit(1)).one()
    assert (event.from_state, event.to_state) == (state, to_state)
