"""Every admin page answers an administrator, in both languages, with no server error."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import SurveyVersion
from tests.app.admin_helpers import a_response, wave_with_responses


@pytest.fixture
def setup(app, login_as):
    wave = wave_with_responses()
    login_as("admin")
    version = db.session.query(SurveyVersion).filter_by(slug="sipas-2017").one()
    other = db.session.query(SurveyVersion).filter_by(slug="sipas-2022").one()
    return wave, version, other


def admin_pages(wave, version, other, response_id):
    slug = wave.slug
    return [
        "/admin/", "/admin/agencies", "/admin/agencies?q=A1&inactive=1", "/admin/agencies/new", "/admin/agencies/A1/edit",
        "/admin/agencies/import", "/admin/agencies/export.csv",
        "/admin/waves", "/admin/waves/new", f"/admin/waves/{slug}", f"/admin/waves/{slug}/edit",
        f"/admin/waves/{slug}/frame", f"/admin/waves/{slug}/margins", f"/admin/waves/{slug}/invitations",
        f"/admin/waves/{slug}/responses", f"/admin/waves/{slug}/responses?agency=A1&channel=paper&excluded=no&from=2020-01-01&to=2099-01-01",
        f"/admin/responses/{response_id}", f"/admin/waves/{slug}/export", f"/admin/waves/{slug}/export/csv",
        f"/admin/waves/{slug}/export/xlsx", f"/admin/waves/{slug}/export/sav", f"/admin/waves/{slug}/codebook.csv?in=en",
        "/admin/kiosk-keys", "/admin/api-keys", "/admin/audit", "/admin/audit?action=agency&from=2020-01-01",
        "/admin/audit/export.csv", "/admin/accounts", "/admin/accounts/new",
        "/admin/questionnaires", f"/admin/questionnaires/{version.id}",
        f"/admin/questionnaires/{version.id}/preview?form_lang=vi", f"/admin/questionnaires/{version.id}/preview?form_lang=en",
        f"/admin/questionnaires/diff?a={version.id}&b={other.id}", f"/admin/questionnaires/{version.id}/export.yaml",
        f"/admin/questionnaires/{version.id}/export.xlsx", "/admin/questionnaires/import",
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_admin_page_answers_an_administrator(client, setup, lang):
    wave, version, other = setup
    client.get(f"/?lang={lang}")
    for url in admin_pages(wave, version, other, a_response(wave, "A1").id):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:800])
        assert "Content-Security-Policy" in response.headers
