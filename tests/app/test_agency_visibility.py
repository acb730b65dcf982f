"""What an agency account and an anonymous visitor may read (issue 12, items 4 and 18): no other
agency's or draft wave, no province-wide rows through the API, no draft questionnaire."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Agency
from tests import factories


def token_for(client, make_user, role, agency=None) -> dict:
    user, password = make_user(role, agency)
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def waves(app):
    mine, theirs = factories.agency("A1"), factories.agency("B1")
    listed = {"open": factories.wave("w-open", [mine, theirs]),
              "mine-draft": factories.wave("w-mine-draft", [mine], status="draft"),
              "theirs-draft": factories.wave("w-theirs-draft", [theirs], status="draft"),
              "theirs-open": factories.wave("w-theirs-open", [theirs])}
    db.session.commit()
    return mine, listed


def test_an_agency_account_sees_only_its_non_draft_waves_and_their_methodology(client, login_as, waves):
    mine, _ = waves
    login_as("agency", mine)
    index = client.get("/dashboard/").get_data(as_text=True)
    assert "w-open" in index
    assert "w-mine-draft" not in index and "w-theirs-draft" not in index and "w-theirs-open" not in index
    assert client.get("/dashboard/w-open/methodology").status_code == 200
    for slug in ("w-mine-draft", "w-theirs-draft", "w-theirs-open"):
        assert client.get(f"/dashboard/{slug}/methodology").status_code == 404, slug
        assert client.get(f"/dashboard/{slug}").status_code == 404, slug


def test_officials_still_see_every_wave(client, login_as, waves):
    login_as("official")
    index = client.get("/dashboard/").get_data(as_text=True)
    assert all(slug in index for slug in ("w-open", "w-mine-draft", "w-theirs-draft", "w-theirs-open"))
    assert client.get("/dashboard/w-theirs-draft/methodology").status_code == 200


def test_anonymous_visitors_cannot_read_a_draft_questionnaire(client, make_user, waves):
    assert client.get("/api/v1/waves/w-open/questionnaire").status_code == 200
    assert client.get("/api/v1/waves/w-mine-draft/questionnaire").status_code == 404
    agency_auth = token_for(client, make_user, "agency", waves[0])
    assert client.get("/api/v1/waves/w-theirs-draft/questionnaire", headers=agency_auth).status_code == 404
    admin_auth = token_for(client, make_user, "admin")
    assert client.get("/api/v1/waves/w-mine-draft/questionnaire", headers=admin_auth).status_code == 200


@pytest.fixture
def demo(app):
    return factories.demo_wave(responses=400)


@pytest.mark.parametrize("by", ["", "agency", "block", "channel", "agency,channel"])
def test_an_agency_token_gets_only_its_own_agencys_rows(client, make_user, demo, by):
    snv = db.session.query(Agency).filter_by(code="SNV").one()
    auth = token_for(client, make_user, "agency", snv)
    response = client.get(f"/api/v1/waves/demo/estimates?by={by}", headers=auth)
    assert response.status_code == 200
    rows = response.get_json()["rows"]
    assert rows and {row["agency"] for row in rows} == {"SNV"}


def test_an_agency_token_cannot_read_a_wave_outside_its_scope(client, make_user, demo):
    outsider = factories.agency("ZZ")
    db.session.commit()
    auth = token_for(client, make_user, "agency", outsider)
    assert client.get("/api/v1/waves/demo/estimates?by=agency", headers=auth).status_code == 404


def test_an_entry_token_cannot_read_estimates(client, make_user, demo):
    snv = db.session.query(Agency).filter_by(code="SNV").one()
    auth = token_for(client, make_user, "entry", snv)
    assert client.get("/api/v1/waves/demo/estimates", headers=auth).status_code == 403
