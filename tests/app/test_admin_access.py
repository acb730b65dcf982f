"""Role × route × object: officials never use /admin; agency accounts stay inside their agency."""
from __future__ import annotations

import pytest

from app import create_app
from app.collect import kiosks
from app.extensions import db
from app.models import KioskKey, Response
from tests.app.admin_helpers import a_response, wave_with_responses
from tests.app.test_admin_pages import admin_pages
from tests.conftest import make_config

ADMIN_ONLY_POSTS = ["/admin/agencies/new", "/admin/agencies/A1/active", "/admin/agencies/import", "/admin/waves/new",
                    "/admin/waves/w1/edit", "/admin/waves/w1/status", "/admin/waves/w1/purge-dossiers",
                    "/admin/waves/w1/frame", "/admin/waves/w1/margins", "/admin/api-keys", "/admin/accounts/new",
                    "/admin/questionnaires/new", "/admin/questionnaires/import"]


@pytest.fixture
def world(app):
    from app.models import SurveyVersion

    wave = wave_with_responses(2)
    version = db.session.query(SurveyVersion).filter_by(slug="sipas-2017").one()
    return wave, version, a_response(wave, "A1"), a_response(wave, "A2")


def test_anonymous_visitors_are_sent_to_login(client, world):
    wave, version, mine, _ = world
    for url in admin_pages(wave, version, version, mine.id):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_officials_cannot_use_any_admin_page(client, login_as, world):
    wave, version, mine, _ = world
    login_as("official")
    for url in admin_pages(wave, version, version, mine.id):
        assert client.get(url, follow_redirects=True).status_code == 403, url
    for url in ADMIN_ONLY_POSTS:
        assert client.post(url, data={"status": "open"}).status_code == 403, url


def test_agency_accounts_cannot_use_admin_only_pages(client, login_as, world):
    wave, version, mine, _ = world
    login_as("agency", agency=wave.agencies[0])
    # Separation of duties: no invitations, kiosk keys or individual responses for the rated agency.
    allowed = {"/admin/", "/admin/waves", f"/admin/waves/{wave.slug}"}
    for url in admin_pages(wave, version, version, mine.id):
        status = client.get(url.split("?")[0], follow_redirects=True).status_code
        assert status == (200 if url.split("?")[0] in allowed else 403), url
    for url in ADMIN_ONLY_POSTS:
        assert client.post(url, data={"status": "open"}).status_code == 403, url


def test_an_agency_account_never_reads_or_changes_another_agencys_data(client, login_as, world):
    wave, _, mine, theirs = world
    login_as("agency", agency=wave.agencies[0])
    assert client.get(f"/admin/responses/{theirs.id}").status_code == 403
    assert client.get(f"/admin/responses/{mine.id}").status_code == 403
    assert client.post(f"/admin/responses/{mine.id}", data={"excluded": "1", "reason": "mine"}).status_code == 403
    assert client.get(f"/admin/waves/{wave.slug}/responses?agency=A2").status_code == 403
    detail = client.get(f"/admin/waves/{wave.slug}").get_data(as_text=True)
    assert "A2 —" not in detail
    assert client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A2", "count": "1", "output": "csv"}).status_code == 403
    assert client.post("/admin/kiosk-keys", data={"agency": "A2"}).status_code == 403
    other_key = kiosks.issue(wave.agencies[1]).row
    db.session.commit()
    assert client.post(f"/admin/kiosk-keys/{other_key.id}/revoke").status_code == 403
    assert db.session.get(KioskKey, other_key.id).revoked_at is None
    assert db.session.get(Response, theirs.id).excluded is False


def test_an_agency_account_sees_no_wave_outside_its_scope(client, login_as, world, make_user):
    from tests import factories

    outsider = factories.agency("ZZ")
    db.session.commit()
    wave = world[0]
    login_as("agency", agency=outsider)
    page = client.get("/admin/waves").get_data(as_text=True)
    # the wave's link and name, not its slug alone: "w1" may occur inside the page's random CSRF token
    assert f"/admin/waves/{wave.slug}" not in page and wave.name_vi not in page
    assert client.get(f"/admin/waves/{wave.slug}").status_code == 403
    assert client.get(f"/admin/waves/{wave.slug}/responses").status_code == 403


def test_a_post_without_a_csrf_token_is_refused(_schema, make_user):
    from tests.conftest import login

    app = create_app(make_config(_schema, WTF_CSRF_ENABLED=True))
    with app.app_context():
        from app.accounts import users

        users.create_user("csrf@example.org", "admin", "Correct-horse-42")
        db.session.commit()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"email": "csrf@example.org", "password": "Correct-horse-42", "csrf_token": token})
        response = client.post("/admin/agencies/new", data={"code": "X1", "name_vi": "X", "block": "b", "level": "1"})
        assert response.status_code == 400
        form = client.get("/admin/agencies/new").get_data(as_text=True)
        assert 'name="csrf_token"' in form
        from tests.conftest import _empty_tables

        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        assert login  # the shared helper exists for other tests


def test_accounts_are_created_changed_and_deactivated(client, login_as, world):
    from app.models import AuditEvent, User

    me = login_as("admin")
    response = client.post("/admin/accounts/new", data={"email": "head@example.org", "role": "agency", "agency": "A1",
                                                        "password": "Long-enough-1", "name": "Head"})
    assert response.status_code == 302
    user = db.session.query(User).filter_by(email="head@example.org").one()
    assert user.agency.code == "A1"
    client.post(f"/admin/accounts/{user.id}", data={"role": "official", "agency": "", "name": "Head", "active": ""})
    db.session.refresh(user)
    assert (user.role, user.active) == ("official", False)
    assert db.session.query(AuditEvent).filter_by(action="user.update").one().before["role"] == "agency"
    response = client.post(f"/admin/accounts/{me.id}", data={"role": "official", "agency": "", "name": ""})
    assert response.status_code == 400 and db.session.get(User, me.id).role == "admin"
