"""The citizen's side of feedback cases on the web: the optional last step "I want an answer about
this" (link and kiosk), the case opened in the response's transaction, the dissatisfied case that
opens by itself, and the status page /c/<token> (status, answer, rate once, reopen)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.cases import calendar, follow_up, service
from app.collect import kiosks
from app.extensions import db
from app.logfilter import redact
from app.models import FormSession, Response
from app.models.case import CaseContact, CaseEvent, FeedbackCase
from tests.app.public_helpers import post_page
from tests.app.test_public_kiosk import set_up, setup_code

ADDRESS = "nguoidan.hoi@example.vn"
STATUS = re.compile(r'href="(?:http://localhost)?/c/([A-Za-z0-9_-]+)"')
ASK = {"fu_want": "1", "fu_text": "Khi nào tôi nhận được kết quả?", "fu_channel": "email",
       "fu_address": ADDRESS, "fu_consent": "1"}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def to_follow_up(client, answers, start: str = "/answer") -> str:
    """Answer every page; returns the HTML of the follow-up step."""
    response = client.get(start)
    for _ in range(40):
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html[:300]
        if 'name="fu_want"' in html:
            return html
        response = post_page(client, html, answers)
        if response.status_code == 303:
            response = client.get(response.headers["Location"])
    raise AssertionError("no follow-up step")


def send_step(client, html: str, data: dict, action: str = "next"):
    page = re.search(r'name="_page" value="(\d+)"', html).group(1)
    return client.post("/answer", data={"_page": page, "_shown": "", "action": action, **data})


def status_token(client) -> str | None:
    found = STATUS.search(client.get("/answer/thanks").get_data(as_text=True))
    return found.group(1) if found else None


@pytest.fixture
def linked(client, token):
    assert client.get(f"/s/{token}").status_code == 303
    return client


def test_the_last_step_is_offered_in_vietnamese_first_and_asks_for_consent(linked, wave, answers):
    html = to_follow_up(linked, answers)
    assert "Tôi muốn được trả lời về việc này" in html and 'lang="vi"' in html
    for name in ("fu_text", "fu_channel", "fu_address", "fu_consent"):
        assert f'name="{name}"' in html
    # every field has its label
    for field in ("fu-want", "fu-text", "fu-address", "fu-consent"):
        assert f'for="{field}"' in html or re.search(rf'<label[^>]*><input[^>]*id="{field}"', html), field
    english = linked.get("/answer?lang=en").get_data(as_text=True)
    assert "I want an answer about this" in english and "E-mail" in english and "Zalo" in english


def test_asking_for_an_answer_opens_a_case_with_a_sealed_contact_in_the_same_commit(linked, wave, answers):
    html = to_follow_up(linked, answers)
    assert count(Response) == 0  # nothing stored before the last step is sent
    done = send_step(linked, html, ASK)
    assert done.status_code == 303 and done.headers["Location"].endswith("/answer/thanks")
    case = db.session.scalars(select(FeedbackCase)).one()
    assert (case.kind, case.state, case.text, case.agency_id) == (
        "request", "new", ASK["fu_text"], wave.agencies[0].id)
    assert case.due_on == calendar.due(case.opened_on, 15)
    contact = db.session.get(CaseContact, case.id)
    assert contact.channel == "email" and ADDRESS.encode() not in contact.address
    assert count(Response) == 1
    response = db.session.scalars(select(Response)).one()
    assert ADDRESS not in str(response.answers) and ASK["fu_text"] not in str(response.answers)
    # the receipt page gives the status link, which finds the case; the token is not stored raw
    raw = status_token(linked)
    assert raw and service.by_token(raw).id == case.id and raw not in case.token_hash
    thanks = linked.get("/answer/thanks").get_data(as_text=True)
    assert ADDRESS not in thanks and "http://localhost/c/" in thanks


def test_a_case_has_no_link_to_the_response():
    columns = {c.name for c in FeedbackCase.__table__.columns}
    assert not {c for c in columns if "response" in c or "invitation" in c or "session" in c}
    targets = {fk.column.table.name for fk in FeedbackCase.__table__.foreign_keys}
    assert targets == {"wave", "agency", "user_account"}


def test_skipping_the_step_stores_the_response_without_a_case(linked, wave, answers):
    html = to_follow_up(linked, answers)
    done = send_step(linked, html, {})
    assert done.headers["Location"].endswith("/answer/thanks")
    assert count(Response) == 1 and count(FeedbackCase) == 0 and status_token(linked) is None


def test_errors_are_shown_next_to_their_fields_and_nothing_is_stored(linked, wave, answers):
    html = to_follow_up(linked, answers)
    page = send_step(linked, html, {"fu_want": "1"})
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and 'role="alert"' in body
    for field, target in (("text", "fu-text"), ("channel", "fu-channel-email"), ("address", "fu-address"),
                          ("consent", "fu-consent")):
        assert f'id="e-fu-{field}"' in body and f'href="#{target}"' in body, field
    assert re.search(r'id="fu-text"[^>]*aria-describedby="h-fu-text e-fu-text"', body)
    assert count(Response) == 0 and count(FeedbackCase) == 0
    # A wrong address and no consent: the service's address rule, named under its field.
    page = send_step(linked, html, dict(ASK, fu_address="không-phải-email", fu_consent=""))
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and 'id="e-fu-address"' in body and 'id="e-fu-consent"' in body
    assert "không-phải-email" in body and ASK["fu_text"] in body  # what was typed is kept
    # Text typed but the box not ticked: say so rather than drop it.
    page = send_step(linked, html, {"fu_text": "xin trả lời"})
    assert page.status_code == 400 and 'id="e-fu-want"' in page.get_data(as_text=True)
    assert count(Response) == 0 and db.session.scalars(select(FormSession)).one().done_at is None
    assert send_step(linked, html, dict(ASK, fu_channel="sms", fu_address="+84 912 345 678")).status_code == 303
    case = db.session.scalars(select(FeedbackCase)).one()
    assert db.session.get(CaseContact, case.id).channel == "sms" and count(Response) == 1


def test_back_from_the_last_step_returns_to_the_questions(linked, wave, answers):
    html = to_follow_up(linked, answers)
    back = send_step(linked, html, {}, action="back")
    assert back.status_code == 303
    page = linked.get("/answer").get_data(as_text=True)
    assert 'name="fu_want"' not in page and 'name="_page"' in page
    assert count(Response) == 0


def test_a_refused_case_rolls_the_response_back(linked, wave, answers, monkeypatch):
    """One transaction per submission: if opening the case fails after the response row was
    written, neither stays (and the questionnaire can still be sent)."""
    html = to_follow_up(linked, answers)
    real = service.open_case

    def refusing(*args, **kwargs):
        assert count(Response) == 1  # the response is already in this transaction
        raise service.Refusal("follow_up.address", "refused for the test")

    monkeypatch.setattr(service, "open_case", refusing)
    page = send_step(linked, html, ASK)
    assert page.status_code == 400 and "refused for the test" in page.get_data(as_text=True)
    db.session.rollback()
    assert count(Response) == 0 and count(FeedbackCase) == 0 and count(CaseContact) == 0
    assert db.session.scalars(select(FormSession)).one().done_at is None
    monkeypatch.setattr(service, "open_case", real)
    assert send_step(linked, html, ASK).status_code == 303
    assert count(Response) == 1 and count(FeedbackCase) == 1


def dissatisfied(answers, comment="Phải chờ quá lâu, không ai hướng dẫn."):
    return dict(answers, overall_satisfaction=2, comments=comment)


def test_a_dissatisfied_rating_with_a_comment_opens_a_case_without_contact(linked, wave, answers):
    html = to_follow_up(linked, dissatisfied(answers))
    assert send_step(linked, html, {}).status_code == 303
    case = db.session.scalars(select(FeedbackCase)).one()
    assert case.kind == "dissatisfied" and case.text == "Phải chờ quá lâu, không ai hướng dẫn."
    assert count(CaseContact) == 0
    assert service.by_token(status_token(linked)).id == case.id  # the citizen can follow it too


@pytest.mark.parametrize("change", [
    {"overall_satisfaction": 4, "comments": "Tốt"},  # satisfied, with a comment
    {"overall_satisfaction": 1},                     # dissatisfied, nothing written
    {"overall_satisfaction": 2, "comments": "   "},  # only blanks
])
def test_no_case_without_both_a_dissatisfied_rating_and_a_comment(linked, wave, answers, change):
    html = to_follow_up(linked, dict(answers, **change))
    assert send_step(linked, html, {}).status_code == 303
    assert count(Response) == 1 and count(FeedbackCase) == 0


def test_asking_while_dissatisfied_opens_the_one_request_case(linked, wave, answers):
    html = to_follow_up(linked, dissatisfied(answers))
    assert send_step(linked, html, ASK).status_code == 303
    case = db.session.scalars(select(FeedbackCase)).one()
    assert case.kind == "request" and "chờ quá lâu" not in case.text  # the comment stays with the answers


def test_the_overall_rating_of_each_shipped_questionnaire(app):
    from survey_definitions import load

    expected = {"sipas-2017": "overall_satisfaction", "sipas-2022": "overall_satisfaction",
                "per-case-118": "satisfaction", "per-case-61": "satisfaction"}
    for name, code in expected.items():
        questionnaire = load(f"survey_definitions/{name}.v1.yaml")
        assert follow_up.overall_code(questionnaire) == code, name
        rated = {code: max(questionnaire.satisfied_values(code)) - 2, "comments": "x", "complaint_text": "y"}
        assert follow_up.dissatisfied_comment(questionnaire, rated), name


def test_the_kiosk_offers_the_step_and_the_next_person_sees_no_link(client, wave, answers):
    issued = kiosks.issue(wave.agencies[0], "desk 1")
    db.session.commit()
    set_up(client, setup_code(issued.setup_url))
    assert client.post("/k/A1/start").headers["Location"] == "/answer"
    html = to_follow_up(client, answers)
    assert "data-idle-reset" in html and "/static/form.js" in html  # walked away: the kiosk starts over
    assert send_step(client, html, ASK).status_code == 303
    thanks = client.get("/answer/thanks").get_data(as_text=True)
    assert STATUS.search(thanks) and 'data-return-after="120"' in thanks
    assert client.post("/k/A1/start").status_code == 303
    html = to_follow_up(client, answers)
    assert send_step(client, html, {}).status_code == 303
    thanks = client.get("/answer/thanks").get_data(as_text=True)
    assert not STATUS.search(thanks) and 'data-return-after="20"' in thanks
    assert db.session.scalar(select(func.count(Response.id)).where(Response.channel == "kiosk")) == 2


# --- the status page ---------------------------------------------------------------------------


@pytest.fixture
def opened(wave):
    case, raw = service.open_case(wave, wave.agencies[0], kind="request", text="Xin cho biết lý do chậm.",
                                  contact=("email", ADDRESS))
    db.session.commit()
    return case, raw


@pytest.fixture
def handler(make_user, wave):
    return make_user("agency", wave.agencies[0])[0]


def test_the_status_page_says_where_the_case_stands_in_both_languages(client, opened):
    case, raw = opened
    page = client.get(f"/c/{raw}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="vi"' in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and "noindex" in page.headers["X-Robots-Tag"]
    assert page.headers["Cache-Control"] == "no-store" and '<meta name="robots" content="noindex' in html
    assert "Xin cho biết lý do chậm." in html and ADDRESS not in html
    english = client.get(f"/c/{raw}?lang=en").get_data(as_text=True)
    assert "Received: waiting for the unit to take it up" in english and "Answer due by" in english
    assert str(case.due_on.year) in english and "Did the handling satisfy you?" not in english


def test_an_unknown_token_is_a_404_page(client, opened):
    page = client.get("/c/not-a-real-token?lang=en")
    assert page.status_code == 404 and "This case link cannot be used" in page.get_data(as_text=True)
    assert "noindex" in page.headers["X-Robots-Tag"]
    assert client.post("/c/not-a-real-token/rate", data={"satisfied": "yes"}).status_code == 404
    assert client.post("/c/not-a-real-token/reopen", data={"text": "x"}).status_code == 404


def test_the_citizen_reads_the_answer_and_rates_it_once(client, opened, handler):
    case, raw = opened
    service.answer(case, "Hồ sơ của Ông/Bà đã được giải quyết ngày 3/12.", handler)
    db.session.commit()
    html = client.get(f"/c/{raw}?lang=en").get_data(as_text=True)
    assert "Hồ sơ của Ông/Bà đã được giải quyết" in html and "Did the handling satisfy you?" in html
    assert client.post(f"/c/{raw}/rate", data={}).status_code == 400
    assert client.post(f"/c/{raw}/rate", data={"satisfied": "no"}).status_code == 303
    db.session.refresh(case)
    assert case.satisfied is False
    html = client.get(f"/c/{raw}?lang=en").get_data(as_text=True)
    assert "did not satisfy you" in html and 'name="satisfied"' not in html
    assert client.post(f"/c/{raw}/rate", data={"satisfied": "yes"}).status_code == 409  # once
    db.session.refresh(case)
    assert case.satisfied is False


def test_rating_before_the_answer_is_refused(client, opened):
    case, raw = opened
    assert client.post(f"/c/{raw}/rate", data={"satisfied": "yes"}).status_code == 409
    db.session.refresh(case)
    assert case.satisfied is None


def test_the_citizen_can_reopen_within_the_window_and_not_after(client, opened, handler):
    case, raw = opened
    service.answer(case, "Đã xử lý.", handler)
    db.session.commit()
    assert 'action="/c/' in client.get(f"/c/{raw}").get_data(as_text=True)
    empty = client.post(f"/c/{raw}/reopen", data={"text": "  "})
    assert empty.status_code == 400 and 'id="e-text"' in empty.get_data(as_text=True)
    assert client.post(f"/c/{raw}/reopen", data={"text": "Vẫn chưa nhận được."}).status_code == 303
    db.session.refresh(case)
    assert case.state in ("new", "assigned") and case.reopened == 1 and case.answer is None
    assert db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.action == "reopen")) == 1
    # Answered again, long ago: the window has passed.
    service.answer(case, "Đã xử lý lần hai.", handler, today=calendar.today() - timedelta(days=60))
    db.session.commit()
    html = client.get(f"/c/{raw}").get_data(as_text=True)
    assert "lần hai" in html and 'name="text"' not in html
    assert client.post(f"/c/{raw}/reopen", data={"text": "Lại nữa."}).status_code == 409
    db.session.refresh(case)
    assert case.reopened == 1 and case.state == "answered"


LIMITED = {"RATELIMIT_ENABLED": True, "RATE_LIMIT_TOKEN": "3/minute", "RATE_LIMIT_SUBMIT": "50/minute"}


@pytest.mark.parametrize("app_config", [LIMITED])
def test_unknown_case_tokens_are_limited_per_address_and_valid_ones_never(client, opened, app_config):
    _case, raw = opened
    statuses = [client.get(f"/c/guess-{i}").status_code for i in range(5)]
    assert statuses == [404] * 3 + [429, 429]
    assert all(client.get(f"/c/{raw}").status_code == 200 for _ in range(5))


def test_status_tokens_are_kept_out_of_the_logs():
    line = '"GET /c/AbCdEf123456_-xyz?lang=en HTTP/1.1" 200'
    assert "AbCdEf123456" not in redact(line) and "/c/[redacted]" in redact(line)
