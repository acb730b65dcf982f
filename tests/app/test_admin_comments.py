"""Free-text comments reach officials only after an administrator approves them."""
from __future__ import annotations

from sqlalchemy import select

from app.collect import store
from app.extensions import db
from app.models import AuditEvent, CommentReview
from app.programme.questionnaires import questionnaire_of
from tests import factories


def _wave_with_comment(text: str = "Cán bộ rất nhiệt tình"):
    wave = factories.wave()
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    response = store.store(wave, wave.agencies[0], dict(answers, comments=text), channel="paper",
                               language="vi")
    db.session.commit()
    return wave, response


def test_pending_comments_are_listed_and_approval_is_audited(client, login_as):
    wave, response = _wave_with_comment()
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    assert "Cán bộ rất nhiệt tình" in page
    done = client.post(f"/admin/waves/{wave.slug}/comments",
                       data={"response_id": response.id, "code": "comments", "status": "approved"})
    assert done.status_code == 302
    assert db.session.scalar(select(CommentReview.status)) == "approved"
    assert "Cán bộ rất nhiệt tình" not in client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    assert "Cán bộ rất nhiệt tình" in client.get(
        f"/admin/waves/{wave.slug}/comments?status=approved").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "comment.review")).after["status"] == "approved"


def test_only_text_answers_of_the_wave_can_be_reviewed(client, login_as):
    wave, response = _wave_with_comment()
    login_as("admin")
    for data in ({"response_id": response.id, "code": "f1_1", "status": "approved"},
                 {"response_id": "99999", "code": "comments", "status": "approved"},
                 {"response_id": response.id, "code": "comments", "status": "maybe"}):
        assert client.post(f"/admin/waves/{wave.slug}/comments", data=data).status_code == 303
    assert db.session.scalar(select(CommentReview)) is None


def test_officials_and_agency_accounts_cannot_moderate(client, login_as):
    wave, response = _wave_with_comment()
    login_as("official")
    assert client.get(f"/admin/waves/{wave.slug}/comments").status_code == 403
    assert client.post(f"/admin/waves/{wave.slug}/comments",
                       data={"response_id": response.id, "code": "comments", "status": "approved"}).status_code == 403


def test_comment_text_is_escaped(client, login_as):
    wave, _ = _wave_with_comment('<script>alert("x")</script>')
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_long_lists_page_through_without_breaking_translations(client, login_as):
    for i in range(60):
        factories.agency(f"P{i:02d}")
    db.session.commit()
    login_as("admin")
    first = client.get("/admin/agencies?lang=en")
    assert first.status_code == 200 and "Next" in first.get_data(as_text=True)
    assert client.get("/admin/agencies?page=2&lang=en").status_code == 200


def test_reordering_and_invisible_characters_are_shown_as_markers(client, login_as):
    # "evil" + RIGHT-TO-LEFT OVERRIDE would show "gnp.exe" reversed; the zero-width space hides a word break.
    wave, _ = _wave_with_comment("fine\u202egnp.exe tốt\u200bquá\u2066x\u2069 <b>")
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    for char in ("\u202e", "\u200b", "\u2066", "\u2069"):
        assert char not in page
    assert "&lt;U+202E&gt;" in page and "&lt;U+200B&gt;" in page and "&lt;U+2066&gt;" in page
    assert 'title="RIGHT-TO-LEFT OVERRIDE"' in page and "&lt;b&gt;" in page and "tốt" in page
