"""Publishing a questionnaire and deleting a draft ask first, with a page that works without JS."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import AuditEvent, SurveyVersion
from tests import factories


@pytest.fixture
def draft(app, client, login_as):
    version = factories.published("per-case-61")
    login_as("admin")
    client.post("/admin/questionnaires/new", data={"from": str(version.id), "slug": ""})
    return db.session.query(SurveyVersion).filter_by(slug=version.slug, version=version.version + 1).one()


def test_publishing_asks_first_then_publishes(client, draft):
    asked = client.post(f"/admin/questionnaires/{draft.id}/publish")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Công bố {draft.label}?" in html and "Đồng ý, công bố" in html
    assert 'name="confirmed" value="yes"' in html
    assert f'href="/admin/questionnaires/{draft.id}/edit">Hủy</a>' in html
    db.session.refresh(draft)
    assert draft.status == "draft" and not db.session.query(AuditEvent).filter_by(action="survey.publish",
                                                                                  object_id=str(draft.id)).count()
    assert client.post(f"/admin/questionnaires/{draft.id}/publish", data={"confirmed": "yes"}).status_code == 302
    db.session.refresh(draft)
    assert draft.status == "published"


def test_deleting_a_draft_asks_first_in_both_languages(client, draft):
    client.get("/admin/questionnaires?lang=en")
    html = client.post(f"/admin/questionnaires/{draft.id}/delete").get_data(as_text=True)
    assert f"Delete the draft {draft.label}?" in html and "This cannot be undone" in html
    assert db.session.get(SurveyVersion, draft.id) is not None
    client.get("/admin/questionnaires?lang=vi")
    assert "Đồng ý, xóa bản nháp" in client.post(f"/admin/questionnaires/{draft.id}/delete").get_data(as_text=True)
    assert client.post(f"/admin/questionnaires/{draft.id}/delete", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(SurveyVersion, draft.id) is None


def test_a_confirmation_without_the_csrf_token_changes_nothing(app, client, draft):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client.post(f"/admin/questionnaires/{draft.id}/delete", data={"confirmed": "yes"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(SurveyVersion, draft.id) is not None
