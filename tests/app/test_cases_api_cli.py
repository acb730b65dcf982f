"""⚑ GET /api/v1/cases (bearer: admins and officials all, an agency its own unit) with due_on =
opened_on + 15 working days on the shipped calendar; `flask cases remind` and `flask cases purge`."""
from __future__ import annotations

from datetime import date

import pytest

from app.cases import service
from app.extensions import db
from app.models import CaseContact
from tests import factories

ADDRESS = "le.van.c@example.vn"


@pytest.fixture
def units(app):
    return factories.case_units()


def _open(wave, unit, day, contact=("email", ADDRESS)):
    case, _raw = service.open_case(wave, unit, kind="request", text="Cần trả lời", contact=contact, today=day)
    db.session.commit()
    return case


def _bearer(client, make_user, role, agency=None):
    user, password = make_user(role, agency)
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_cases_with_the_shipped_calendars_due_date(client, make_user, units):
    wave, own, other = units
    before_tet = _open(wave, own, date(2026, 2, 13))  # Fri before Tết 2026
    before_may = _open(wave, other, date(2025, 4, 24))  # Thu before the 2025 make-up Saturday and 30/4–2/5
    admin = _bearer(client, make_user, "admin")
    rows = client.get("/api/v1/cases", headers=admin).get_json()
    assert rows == [
        {"id": before_tet.id, "agency": "OWN", "category": "other", "state": "new",
         "opened_on": "2026-02-13", "due_on": "2026-03-13"},
        # Fri 25 Apr (1), Sat 26 Apr make-up (2), Mon 28 (3), Tue 29 (4), [30/4, 1/5, 2/5 off, weekend],
        # Mon 5 May (5) ... Fri 9 (9), Mon 12 – Fri 16 (14), Mon 19 May (15)
        {"id": before_may.id, "agency": "OTHER", "category": "other", "state": "new",
         "opened_on": "2025-04-24", "due_on": "2025-05-19"},
    ]
    for row in rows:  # no text, no answer, no contact: only the contract's keys
        assert set(row) == {"id", "agency", "category", "state", "opened_on", "due_on"}
    assert ADDRESS not in client.get("/api/v1/cases", headers=admin).get_data(as_text=True)
    only = client.get("/api/v1/cases?agency=OTHER", headers=admin).get_json()
    assert [r["id"] for r in only] == [before_may.id]


def test_state_filter(client, make_user, units):
    wave, own, _other = units
    first, second = _open(wave, own, date(2026, 2, 13)), _open(wave, own, date(2026, 2, 13))
    staff = make_user("agency", own)[0]
    service.answer(second, "ok", staff, today=date(2026, 2, 23))
    service.close(second, staff, today=date(2026, 2, 23))
    db.session.commit()
    official = _bearer(client, make_user, "official")
    assert [r["id"] for r in client.get("/api/v1/cases?state=open", headers=official).get_json()] == [first.id]
    assert [r["id"] for r in client.get("/api/v1/cases?state=closed", headers=official).get_json()] == [second.id]
    bad = client.get("/api/v1/cases?state=bogus", headers=official)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "state"
    assert client.get("/api/v1/cases?agency=NOPE", headers=official).status_code == 404


def test_an_agency_token_reads_its_own_unit_only(client, make_user, units):
    wave, own, other = units
    mine, _theirs = _open(wave, own, date(2026, 2, 13)), _open(wave, other, date(2026, 2, 13))
    agency = _bearer(client, make_user, "agency", own)
    assert [r["id"] for r in client.get("/api/v1/cases", headers=agency).get_json()] == [mine.id]
    refused = client.get("/api/v1/cases?agency=OTHER", headers=agency)
    assert refused.status_code == 404 and refused.get_json()["errors"][0]["field"] == "agency"
    assert client.get("/api/v1/cases").status_code == 401
    entry = _bearer(client, make_user, "entry", own)
    assert client.get("/api/v1/cases", headers=entry).status_code == 403


def test_remind_prints_due_soon_and_overdue_per_unit(runner, units):
    wave, own, other = units
    overdue = _open(wave, own, date(2026, 2, 13))  # due Fri 13 Mar 2026
    soon = _open(wave, other, date(2026, 2, 23))  # Mon 23 Feb + 15 = Mon 16 Mar 2026
    _later = _open(wave, other, date(2026, 3, 2))  # due Mon 23 Mar: outside the 2-day horizon
    result = runner.invoke(args=["cases", "remind", "--print", "--today", "2026-03-16"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "OTHER: 1 case(s) need an answer, 0 overdue" in out
    assert f"#{soon.id} new due 2026-03-16 (due in 0 working day(s))" in out
    assert "OWN: 1 case(s) need an answer, 1 overdue" in out
    assert f"#{overdue.id} new due 2026-03-13 (overdue by 1 working day(s))" in out
    assert f"#{_later.id} " not in out
    assert runner.invoke(args=["cases", "remind", "--today", "13/03/2026"]).exit_code == 1


def test_purge_deletes_contacts_after_retention(runner, make_user, units):
    wave, own, _other = units
    case, kept = _open(wave, own, date(2026, 2, 13)), _open(wave, own, date(2026, 2, 13))
    staff = make_user("agency", own)[0]
    service.answer(case, "ok", staff, today=date(2026, 3, 2))
    service.close(case, staff, today=date(2026, 3, 2))
    db.session.commit()
    early = runner.invoke(args=["cases", "purge", "--today", "2026-03-31"])
    assert early.exit_code == 0 and "0 contact(s) deleted" in early.output
    done = runner.invoke(args=["cases", "purge", "--today", "2026-04-01"])
    assert done.exit_code == 0 and "1 contact(s) deleted" in done.output
    db.session.expire_all()
    assert db.session.get(CaseContact, case.id) is None and db.session.get(CaseContact, kept.id) is not None


def test_load_calendar(runner):
    first = runner.invoke(args=["cases", "load-calendar"])
    assert first.exit_code == 0 and "35 day(s) loaded" in first.output
    assert "nothing loaded" in runner.invoke(args=["cases", "load-calendar"]).output
