"""Answering by invitation link: the whole questionnaire, page by page, exactly once."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.collect import invitations
from app.extensions import db
from app.models import FormSession, Invitation, Response
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from tests.app.public_helpers import answer_all, page_number, post_page, shown


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def open_link(client, token):
    response = client.get(f"/s/{token}")
    assert response.status_code == 303
    return response


def test_the_token_is_exchanged_for_a_session_and_left_behind(client, token):
    response = open_link(client, token)
    assert response.headers["Location"] == "/answer"
    assert token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get("/answer")
    assert page.status_code == 200 and token not in page.get_data(as_text=True)
    # The browser holds only a key to the server-side form session, never answers or the token.
    assert db.session.scalar(select(func.count(FormSession.id))) == 1


def test_a_used_or_expired_link_says_so_and_an_unknown_one_says_nothing(client, wave, token, answers):
    expired = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.execute(Invitation.__table__.update().where(
        Invitation.token_hash == invitations.token_hash(expired)).values(expires_at=utcnow().replace(year=2000)))
    db.session.commit()
    open_link(client, token)
    assert answer_all(client, wave, answers).headers["Location"].endswith("/answer/thanks")
    results = [client.get(f"/s/{t}") for t in ("no-such-token", token, expired)]
    assert {r.status_code for r in results} == {303}
    assert [r.headers["Location"] for r in results] == ["/link", "/link?why=answered", "/link?why=expired"]
    pages = [client.get(r.headers["Location"] + ("&" if "?" in r.headers["Location"] else "?") + "lang=en")
             for r in results]
    assert {p.status_code for p in pages} == {404}
    texts = [p.get_data(as_text=True) for p in pages]
    assert "cannot be used" in texts[0]
    assert "already been answered" in texts[1] and "has expired" in texts[2]
    # A made-up reason is the neutral page.
    assert "cannot be used" in client.get("/link?why=whatever&lang=en").get_data(as_text=True)


def test_a_complete_questionnaire_is_stored_once_with_a_receipt(client, wave, token, answers):
    open_link(client, token)
    client.get("/answer?lang=en")  # the language switch
    done = answer_all(client, wave, answers)
    assert done.status_code == 303 and done.headers["Location"].endswith("/answer/thanks")
    thanks = client.get("/answer/thanks").get_data(as_text=True)
    response = db.session.scalars(select(Response)).one()
    assert response.receipt in thanks and response.channel == "link" and response.language == "en"
    assert response.answers == answers  # the cleaned answers, as one document on the response row
    assert db.session.get(FormSession, 1).answers == {}  # nothing kept once stored


def test_a_second_submission_shows_already_answered_and_changes_nothing(client, wave, token, answers):
    other = client.application.test_client()
    open_link(other, token)
    other_row = db.session.scalars(select(FormSession)).one()
    open_link(client, token)  # a second device took the same questionnaire over before the first finished
    answer_all(client, wave, answers)
    # The first device's key was replaced; the row it pointed to is the one that was answered.
    assert other.get("/answer").status_code == 404
    assert db.session.scalars(select(FormSession)).one().id == other_row.id
    assert other.get(f"/s/{token}").headers["Location"] == "/link?why=answered"
    assert stored() == 1
    # The same browser sending its last page again: already answered, still one response.
    again = client.post("/answer", data={"_page": "0", "_shown": "", "action": "next"})
    assert again.status_code == 409 and stored() == 1


def test_one_page_per_section_with_progress_and_answers_kept_on_back(client, wave, token, answers):
    open_link(client, token)
    first = client.get("/answer?lang=en").get_data(as_text=True)
    assert "Step 1 of 12" in first and "Privacy and consent" in first
    second = client.get(post_page(client, first, answers).headers["Location"]).get_data(as_text=True)
    assert page_number(second) == 1 and "Step 2 of 12" in second
    back = post_page(client, second, {}, action="back")
    again = client.get(back.headers["Location"]).get_data(as_text=True)
    assert page_number(again) == 0
    assert re.search(r'name="service_field"\s+id="f-service_field" value="1" checked', again)  # the first page's answers are still there


def test_missing_and_invalid_answers_are_shown_next_to_fields_and_summarised(client, wave, token, answers):
    open_link(client, token)
    first = client.get("/answer?lang=en").get_data(as_text=True)
    response = post_page(client, first, {"service_field": "77", "submission_channel": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="error-summary"' in html and 'href="#f-service_field"' in html
    assert 'id="e-service_field"' in html and "Please choose one of the options offered." in html
    assert re.search(r'name="submission_channel"\s+id="f-submission_channel" value="1" checked', html)  # kept
    assert stored() == 0


def test_errors_are_in_vietnamese_by_default(client, wave, token):
    open_link(client, token)
    first = client.get("/answer").get_data(as_text=True)
    html = post_page(client, first, {}).get_data(as_text=True)
    assert 'lang="vi"' in html and "Please answer this question." not in html


def test_late_reveals_the_apology_question_without_javascript(client, wave, token, answers):
    open_link(client, token)
    answers = dict(answers, late="1")
    html = client.get("/answer").get_data(as_text=True)
    while "late" not in shown(html).split():
        html = client.get(post_page(client, html, answers).headers["Location"]).get_data(as_text=True)
    assert 'id="q-apology"' in html and "apology" not in shown(html).split()  # rendered hidden
    revealed = post_page(client, html, answers)
    assert revealed.status_code == 200  # the same page again, now asking about the apology letter
    html = revealed.get_data(as_text=True)
    assert "apology" in shown(html).split() and 'class="notice"' in html
    moved = post_page(client, html, dict(answers, apology="0"))
    assert moved.status_code == 303
    answer_all(client, wave, answers)
    codes = db.session.scalars(select(Response)).one().answers
    assert codes["late"] == 1 and codes["apology"] == 0


def test_answers_to_hidden_questions_are_not_stored(client, wave, token, answers):
    open_link(client, token)
    html = client.get("/answer").get_data(as_text=True)
    while "late" not in shown(html).split():
        html = client.get(post_page(client, html, answers).headers["Location"]).get_data(as_text=True)
    # late = no, but a forged apology answer is posted too: it is dropped, not stored.
    post_page(client, html, dict(answers, late="0"), apology="1")
    answer_all(client, wave, answers)
    codes = set(db.session.scalars(select(Response)).one().answers)
    assert "late" in codes and "apology" not in codes


def test_not_applicable_is_offered_where_the_scale_has_it(client, wave, token, answers):
    open_link(client, token)
    html = client.get("/answer").get_data(as_text=True)
    html = client.get(post_page(client, html, answers).headers["Location"]).get_data(as_text=True)
    assert 'name="f1_1"' in html and 'value="na"' in html
    post_page(client, html, dict(answers, f1_1="na"))
    answer_all(client, wave, answers)
    stored = db.session.scalars(select(Response)).one()
    assert stored.answers["f1_1"] == "na" and stored.coded[questionnaire_of(wave.survey_version).coded_questions.index("f1_1")] == "-"
