"""Bulk moderation: several comments, one decision, one transaction, one audit event with the count;
plain HTML (the boxes belong to the bulk form through the form attribute, no JavaScript)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.collect import store
from app.extensions import db
from app.models import AuditEvent, CommentReview
from app.programme.questionnaires import questionnaire_of
from tests import factories


@pytest.fixture
def stored(app):
    wave = factories.wave()
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    rows = [store.store(wave, wave.agencies[0], dict(answers, comments=f"Góp ý số {i}"), channel="paper",
                            language="vi") for i in range(4)]
    db.session.commit()
    return wave, rows


def statuses() -> dict[int, str]:
    return dict(db.session.execute(select(CommentReview.response_id, CommentReview.status)).all())


def test_the_page_offers_a_box_per_comment_bound_to_the_bulk_form(client, login_as, stored):
    wave, rows = stored
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    assert '<form method="post" id="bulk"' in page
    boxes = re.findall(r'<input type="checkbox" form="bulk" name="selected" value="(\d+):comments"', page)
    assert sorted(int(b) for b in boxes) == sorted(r.id for r in rows)
    assert "<script" not in page.split('id="bulk"')[1].split("</table>")[0]


def test_selected_comments_are_approved_together_and_audited_once_with_the_count(client, login_as, stored):
    wave, rows = stored
    login_as("admin")
    chosen = [f"{rows[0].id}:comments", f"{rows[2].id}:comments"]
    response = client.post(f"/admin/waves/{wave.slug}/comments/bulk?lang=en",
                           data={"selected": chosen, "status": "approved"})
    assert response.status_code == 303
    assert statuses() == {rows[0].id: "approved", rows[2].id: "approved"}
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.review_bulk")).all()
    assert event.after["count"] == 2 and event.after["status"] == "approved"
    assert event.after["comments"] == chosen
    assert "2 comments approved." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_every_comment_on_the_page_can_be_rejected_at_once(client, login_as, stored):
    wave, rows = stored
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/comments").get_data(as_text=True)
    shown = re.findall(r'<input type="hidden" name="shown" value="([^"]+)"', page)
    response = client.post(f"/admin/waves/{wave.slug}/comments/bulk", data={"shown": shown, "all": "1",
                                                                            "status": "rejected"})
    assert response.status_code == 303
    assert statuses() == {r.id: "rejected" for r in rows}


def test_one_bad_comment_in_the_selection_changes_nothing(client, login_as, stored):
    wave, rows = stored
    other = factories.wave("w2", agency_list=[wave.agencies[0]])
    answers = factories.satisfied_answers(questionnaire_of(other.survey_version))
    foreign = store.store(other, other.agencies[0], dict(answers, comments="khác"), channel="paper", language="vi")
    db.session.commit()
    login_as("admin")
    for selected in ([f"{rows[0].id}:comments", f"{foreign.id}:comments"], [f"{rows[0].id}:comments", "x:y"],
                     [f"{rows[0].id}:f1_1"]):
        response = client.post(f"/admin/waves/{wave.slug}/comments/bulk",
                               data={"selected": selected, "status": "approved"})
        assert response.status_code == 303
        assert statuses() == {}, selected
    assert client.post(f"/admin/waves/{wave.slug}/comments/bulk",
                       data={"selected": [f"{rows[0].id}:comments"], "status": "published"}).status_code == 303
    assert statuses() == {}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like("comment.%"))) == 0


def test_an_empty_selection_says_so(client, login_as, stored):
    wave, _rows = stored
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/comments/bulk?lang=en", data={"status": "approved"},
                           follow_redirects=True)
    assert "Select at least one comment." in response.get_data(as_text=True) and statuses() == {}


def test_only_administrators_moderate_in_bulk(client, login_as, stored):
    wave, rows = stored
    login_as("official")
    response = client.post(f"/admin/waves/{wave.slug}/comments/bulk",
                           data={"selected": [f"{rows[0].id}:comments"], "status": "approved"})
    assert response.status_code == 403 and statuses() == {}
