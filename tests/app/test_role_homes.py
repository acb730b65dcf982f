"""Each role lands on the page with its tasks and finds it again in the header; paper double entry
is switched per wave from the admin home and from the command line, audited."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Response, Wave
from app.programme.questionnaires import questionnaire_of
from tests import factories
from tests.conftest import login


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


def header_links(page: str) -> list[str]:
    nav = re.search(r'<nav class="role-nav"[^>]*>(.*?)</nav>', page, re.S)
    assert nav, "no role navigation in the header"
    return re.findall(r'href="([^"]+)"', nav.group(1))


def landing(client, make_user, role, agency=None) -> str:
    user, password = make_user(role, agency)
    response = login(client, user.email, password)
    assert response.status_code == 302
    return response.headers["Location"]


def test_an_administrator_lands_on_the_admin_home_with_every_task(client, make_user, wave):
    assert landing(client, make_user, "admin") == "/admin/"
    page = client.get("/admin/").get_data(as_text=True)
    for link in ("/admin/waves", "/admin/questionnaires", "/admin/agencies", f"/admin/waves/{wave.slug}/invitations",
                 "/admin/kiosk-keys", "/admin/api-keys", f"/admin/waves/{wave.slug}/comments", "/admin/audit",
                 "/admin/accounts", "/paper"):
        assert f'href="{link}"' in page, link
    assert header_links(page)[:3] == ["/admin/", "/dashboard/", "/paper"]


def test_an_official_lands_on_the_dashboard_and_sees_no_admin_or_paper_link(client, make_user, wave):
    assert landing(client, make_user, "official") == "/dashboard/"
    page = client.get("/dashboard/").get_data(as_text=True)
    # the feedback cases (read-only for officials) are the one page under /admin they reach
    assert header_links(page) == ["/dashboard/", "/admin/cases"]


def test_the_agency_account_lands_on_its_own_agency_page(client, make_user, wave):
    older = factories.wave("w0", agency_list=[wave.agencies[0]], status="closed")
    older.period_start = older.period_start.replace(year=2025)
    db.session.commit()
    target = f"/dashboard/{wave.slug}/agencies/A1"
    assert landing(client, make_user, "agency", wave.agencies[0]) == target
    assert client.get(target).status_code == 200
    links = header_links(client.get("/dashboard/").get_data(as_text=True))
    assert links == ["/home", "/dashboard/", "/admin/cases"]  # its unit's feedback cases
    assert client.get("/home").headers["Location"] == target


def test_an_agency_account_without_a_wave_lands_on_the_wave_list(client, make_user, app):
    agency = factories.agency("B1")
    db.session.commit()
    assert landing(client, make_user, "agency", agency) == "/dashboard/"


def test_desk_staff_land_on_paper_entry_for_their_agency(client, make_user, wave):
    assert landing(client, make_user, "entry", wave.agencies[0]) == "/paper"
    page = client.get("/paper").get_data(as_text=True)
    assert wave.agencies[0].name_vi in page and f"/paper/{wave.slug}" in page
    assert header_links(page) == ["/paper"]
    assert client.get("/home").headers["Location"] == "/paper"


def test_the_agency_account_still_reads_its_wave_list_under_admin(client, make_user, wave):
    landing(client, make_user, "agency", wave.agencies[0])
    assert client.get("/admin/").headers["Location"] == "/admin/waves"


def _double(wave: Wave) -> bool:
    db.session.expire_all()
    return bool(db.session.get(Wave, wave.id).settings.get("paper_double_entry"))


def test_double_entry_is_switched_from_the_admin_home_and_audited(client, login_as, wave):
    login_as("admin")
    assert "Switch on" in client.get("/admin/?lang=en").get_data(as_text=True)
    response = client.post(f"/admin/waves/{wave.slug}/paper-double-entry", data={"double_entry": "on"})
    assert response.status_code == 303 and _double(wave)
    page = client.get("/admin/?lang=en").get_data(as_text=True)
    assert "Paper double entry is on" in page and "Switch off" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "wave.paper_double_entry"))
    assert event.before == {"paper_double_entry": False} and event.after["paper_double_entry"] is True
    client.post(f"/admin/waves/{wave.slug}/paper-double-entry", data={"double_entry": "off"})
    assert not _double(wave)
    assert client.post(f"/admin/waves/{wave.slug}/paper-double-entry", data={"double_entry": "maybe"}).status_code == 400


def test_only_administrators_switch_double_entry(client, login_as, wave):
    login_as("entry", wave.agencies[0])
    assert client.post(f"/admin/waves/{wave.slug}/paper-double-entry", data={"double_entry": "on"}).status_code == 403
    assert not _double(wave)


def test_double_entry_is_switched_from_the_command_line_and_audited(runner, wave):
    result = runner.invoke(args=["waves", "double-entry", "--wave", wave.slug, "on"])
    assert result.exit_code == 0, result.output
    assert _double(wave)
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "wave.paper_double_entry"))
    result = runner.invoke(args=["waves", "double-entry", "--wave", wave.slug, "off"])
    assert result.exit_code == 0 and not _double(wave)
    missing = runner.invoke(args=["waves", "double-entry", "--wave", "nope", "on"])
    assert missing.exit_code == 1 and "--wave: no wave 'nope'" in missing.output
    assert runner.invoke(args=["waves", "double-entry", "--wave", wave.slug, "sometimes"]).exit_code == 2


def test_a_form_keyed_once_under_double_entry_counts_at_its_next_keying_once_switched_off(
        client, make_user, runner, wave):
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    runner.invoke(args=["waves", "double-entry", "--wave", wave.slug, "on"])
    user, password = make_user("entry", wave.agencies[0])
    login(client, user.email, password)
    data = {"form_number": "P-9", "_page": "0", "_shown": " ".join(answers), **answers}
    assert client.post(f"/paper/{wave.slug}", data=data).status_code == 303
    assert db.session.scalars(select(Response)).all() == []
    result = runner.invoke(args=["waves", "double-entry", "--wave", wave.slug, "off"])
    assert "1 form(s) keyed once are waiting" in result.output
    assert client.post(f"/paper/{wave.slug}", data=data).status_code == 303  # the same person, now single entry
    assert len(db.session.scalars(select(Response)).all()) == 1


def test_the_language_chosen_on_the_login_page_carries_over_to_the_home_page(client, make_user, wave):
    user, password = make_user("entry", wave.agencies[0])
    client.get("/login?lang=en")
    client.post("/login", data={"email": user.email, "password": password})
    assert header_links(page := client.get("/paper").get_data(as_text=True)) == ["/paper"]
    assert "Paper entry" in page and "Nhập phiếu giấy" not in page
