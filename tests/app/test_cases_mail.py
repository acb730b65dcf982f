"""The citizen's messages of a feedback case through the delivery outbox (issue 17 × 18): a citizen
asks for an answer by e-mail, the unit answers in the browser, exactly one "case_answer" message is
queued with the answer and a working status link; a reopened case answered again queues a second;
SMS and Zalo carry a short notice and the link; more documents and refusals queue "case_update";
no contact, no message; the contact is in no audit row, page, export or log."""
from __future__ import annotations

import html
import logging
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.cases import service
from app.collect import invitations, kiosks
from app.extensions import db
from app.models import AuditEvent, OutboxMessage
from app.models.case import CaseContact, CaseEvent, FeedbackCase
from app.outbox.queue import content_of
from tests import factories
from tests.conftest import login

ADDRESS = "nguoi.dan.hoi@example.vn"
PHONE = "0912 345 678"
ASK = {"channel": "email", "address": ADDRESS, "text": "Khi nào hồ sơ đất của tôi có kết quả?", "consent": True}
ANSWER = "Hồ sơ của ông/bà đã được giải quyết ngày 10/3; mời nhận kết quả tại quầy số 2 <bộ phận một cửa>."
LINK = re.compile(r"http://localhost/c/([A-Za-z0-9_-]+)")


@pytest.fixture
def tokens(wave):
    issued = invitations.issue(wave, wave.agencies[0], 3)
    db.session.commit()
    return [i.token for i in issued]


def messages(**where) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def ask(client, token, answers, language="vi", **change) -> tuple[FeedbackCase, str]:
    body = {"invitation": token, "answers": answers, "language": language, "follow_up": dict(ASK, **change)}
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 201, response.get_json()
    raw = response.get_json()["case"]["status_url"].rsplit("/", 1)[1]
    return service.by_token(raw), raw


@pytest.fixture
def staff(app, make_user, wave):
    user, password = make_user("agency", wave.agencies[0])
    client = app.test_client()
    assert login(client, user.email, password).status_code == 302
    return client


def answer_in_browser(staff, case_id: int, text: str) -> None:
    assert staff.get(f"/admin/cases/{case_id}?lang=en").status_code == 200  # (the flash in English)
    done = staff.post(f"/admin/cases/{case_id}/answer", data={"answer-answer": text})
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    db.session.expire_all()


def test_the_answer_is_queued_once_by_email_with_a_working_status_link(client, staff, tokens, answers):
    case, raw = ask(client, tokens[0], answers, language="en")
    assert messages() == []  # opening a case sends nothing
    contact = db.session.get(CaseContact, case.id)
    assert contact.token is not None and raw.encode() not in contact.token  # sealed, not raw

    answer_in_browser(staff, case.id, ANSWER)
    queued = messages()
    assert len(queued) == 1
    message = queued[0]
    assert (message.kind, message.channel, message.status, message.idempotency_key, message.case_id,
            message.agency_id, message.wave_id, message.language) == (
        "case_answer", "email", "queued", f"case-answer:{case.id}:1", case.id, case.agency_id, case.wave_id, "en")
    content = content_of(message)
    assert content.to == ADDRESS
    assert content.subject == f"The answer to your feedback (case {case.id})"
    assert ANSWER in content.text
    assert LINK.findall(content.text) == [raw]
    assert "tell us whether the handling satisfied you" in content.text
    # the HTML part escapes the answer and links to the same page
    assert "quầy số 2 &lt;bộ phận một cửa&gt;." in content.html and f'href="http://localhost/c/{raw}"' in content.html
    assert ADDRESS.encode() not in message.sealed and raw.encode() not in message.sealed
    page = staff.get(f"/admin/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "The answer was saved and will be sent to the citizen" in page  # the flash
    assert re.search(r"Messages to the citizen.*the answer</td>\s*<td>waiting to be sent", page, re.S)
    assert ADDRESS not in page

    # the link works: the citizen reads the answer and rates the handling
    page = client.get(f"/c/{raw}")
    assert page.status_code == 200 and "quầy số 2 &lt;bộ phận một cửa&gt;" in page.get_data(as_text=True)
    rated = client.post(f"/c/{raw}/rate", data={"satisfied": "yes"})
    assert rated.status_code == 303
    db.session.expire_all()
    assert db.session.get(FeedbackCase, case.id).satisfied is True
    assert len(messages()) == 1  # rating queues nothing


def test_a_reopened_case_answered_again_queues_a_second_answer(client, staff, tokens, answers):
    case, raw = ask(client, tokens[0], answers)
    answer_in_browser(staff, case.id, "Trả lời lần một.")
    assert client.post(f"/c/{raw}/reopen", data={"text": "Tôi vẫn chưa nhận được kết quả."}).status_code == 303
    assert len(messages()) == 1  # reopening queues nothing
    answer_in_browser(staff, case.id, "Trả lời lần hai: đã gửi kết quả qua bưu điện.")
    first, second = messages(kind="case_answer")
    assert (first.idempotency_key, second.idempotency_key) == (f"case-answer:{case.id}:1", f"case-answer:{case.id}:2")
    assert "Trả lời lần một." in content_of(first).text and "lần hai" not in content_of(first).text
    assert "Trả lời lần hai: đã gửi kết quả qua bưu điện." in content_of(second).text
    assert LINK.findall(content_of(second).text) == [raw]
    assert second.language == "vi"


def test_sms_and_zalo_carry_a_short_notice_and_the_link(client, staff, tokens, answers, wave):
    sms_case, sms_raw = ask(client, tokens[0], answers, language="en", channel="sms", address=PHONE)
    zalo_case, zalo_raw = ask(client, tokens[1], answers, channel="zalo", address="+84 912 345 678")
    long_answer = "Nội dung trả lời rất dài. " * 40
    answer_in_browser(staff, sms_case.id, long_answer)
    answer_in_browser(staff, zalo_case.id, long_answer)
    sms, zalo = messages()
    assert (sms.channel, zalo.channel) == ("sms", "zalo")
    text = content_of(sms).text
    assert content_of(sms).to == "84912345678" == content_of(zalo).to
    assert len(text) <= 300 and "Nội dung trả lời" not in text
    assert text == (f"{wave.agencies[0].name('en')} has answered your feedback (case {sms_case.id}). "
                    f"Read the answer and rate it: http://localhost/c/{sms_raw}")
    assert content_of(zalo).params == {"agency": wave.agencies[0].name("vi"), "link": f"http://localhost/c/{zalo_raw}"}


def test_more_documents_and_a_refusal_queue_case_updates(client, staff, tokens, answers):
    docs_case, docs_raw = ask(client, tokens[0], answers, language="en")
    refused_case, _raw = ask(client, tokens[1], answers, language="en")
    done = staff.post(f"/admin/cases/{docs_case.id}/documents", data={"documents-note": "Bản sao sổ đỏ."})
    assert done.status_code == 303
    done = staff.post(f"/admin/cases/{refused_case.id}/refuse", data={"refuse-reason": "Thuộc thẩm quyền tòa án."})
    assert done.status_code == 303
    db.session.expire_all()
    documents, refusal = messages(kind="case_update")
    docs_event = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == docs_case.id,
                                                              CaseEvent.action == "documents"))
    refuse_event = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == refused_case.id,
                                                                CaseEvent.action == "refuse"))
    assert documents.idempotency_key == f"case-update:{docs_case.id}:{docs_event}"
    assert refusal.idempotency_key == f"case-update:{refused_case.id}:{refuse_event}"
    due = db.session.get(FeedbackCase, docs_case.id).due_on
    assert "Bản sao sổ đỏ." in content_of(documents).text and due.strftime("%d/%m/%Y") in content_of(documents).text
    assert LINK.findall(content_of(documents).text) == [docs_raw]
    assert "Thuộc thẩm quyền tòa án." in content_of(refusal).text and "outside its remit" in content_of(refusal).text
    # asking for documents twice: two events, two messages
    staff.post(f"/admin/cases/{docs_case.id}/documents", data={"documents-note": "Thêm giấy ủy quyền."})
    assert len(messages(kind="case_update")) == 3


def test_no_contact_no_message(client, staff, tokens, answers):
    response = client.post("/api/v1/responses", json={"invitation": tokens[0], "language": "vi", "answers": dict(
        answers, overall_satisfaction=1, comments="Chờ quá lâu.")})
    assert response.status_code == 201
    case = db.session.scalars(select(FeedbackCase)).one()
    assert case.kind == "dissatisfied"
    answer_in_browser(staff, case.id, "Chúng tôi xin lỗi.")
    assert db.session.get(FeedbackCase, case.id).state == "answered" and messages() == []
    page = staff.get(f"/admin/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "the citizen reads it at the status link" in page and "Messages to the citizen" not in page


def test_a_case_opened_before_the_outbox_gets_a_message_without_link(app, make_user):
    wave, own, _other = factories.case_units()
    case, raw = service.open_case(wave, own, kind="request", text="Cũ", language="en", contact=("email", ADDRESS),
                                  today=date(2026, 2, 13))
    db.session.get(CaseContact, case.id).token = None  # as the cases opened before migration 0012
    user = make_user("agency", own)[0]
    service.answer(case, "Đã xong.", user, today=date(2026, 2, 23))
    db.session.commit()
    content = content_of(messages()[0])
    assert "Đã xong." in content.text and "/c/" not in content.text and raw not in content.text
    assert "open the status link on the receipt" in content.text and "/c/" not in content.html


def test_an_unchanged_answer_event_count_keeps_the_key(app, make_user):
    """Queuing the same answer twice (a retried request) adds nothing: the key is the first's."""
    from app.cases import messages as case_messages

    wave, own, _other = factories.case_units()
    case, _raw = service.open_case(wave, own, kind="request", text="x", contact=("email", ADDRESS))
    service.answer(case, "ok", make_user("agency", own)[0])
    first = case_messages.queue_for(case, "answer")
    assert case_messages.queue_for(case, "answer") == first
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_contact_is_in_no_audit_row_page_export_or_log(client, staff, tokens, answers, make_user, wave, caplog):
    caplog.set_level(logging.DEBUG)
    email_case, raw = ask(client, tokens[0], answers)
    sms_case, _raw = ask(client, tokens[1], answers, channel="sms", address=PHONE)
    answer_in_browser(staff, email_case.id, ANSWER)
    staff.post(f"/admin/cases/{sms_case.id}/documents", data={"documents-note": "Bản sao."})
    assert len(messages()) == 2
    secrets = (ADDRESS, "912345678", "912 345 678")

    def absent(blob: bytes | str, where: str) -> None:
        data = blob.encode() if isinstance(blob, str) else blob
        for secret in secrets:
            assert secret.encode() not in data, f"{secret} in {where}"

    for event in db.session.scalars(select(AuditEvent)):
        absent(f"{event.actor} {event.before} {event.after} {event.object_id}", f"audit {event.action}")
    for event in db.session.scalars(select(CaseEvent)):
        absent(event.note, f"case event {event.action}")
    for message in messages():
        absent(message.sealed, "outbox row")
        absent(f"{message.idempotency_key} {message.last_error}", "outbox row")
    admin, password = make_user("admin")
    assert login(client, admin.email, password).status_code == 302
    for url in (f"/admin/cases/{email_case.id}", f"/admin/cases/{sms_case.id}", "/admin/cases?state=",
                f"/admin/waves/{wave.slug}/export/csv", "/admin/audit", "/admin/audit/export.csv",
                "/dashboard/-/cases", f"/c/{raw}"):
        page = client.get(url)
        assert page.status_code == 200, url
        absent(page.data, url)
    absent(caplog.text, "the log")


def test_the_kiosk_receipt_shows_the_status_link_as_a_qr_code(client, wave, answers):
    from tests.app.test_cases_citizen import ASK as FORM_ASK
    from tests.app.test_cases_citizen import STATUS, send_step, to_follow_up
    from tests.app.test_public_kiosk import set_up, setup_code

    issued = kiosks.issue(wave.agencies[0], "desk 1")
    db.session.commit()
    set_up(client, setup_code(issued.setup_url))
    assert client.post("/k/A1/start").headers["Location"] == "/answer"
    assert send_step(client, to_follow_up(client, answers), FORM_ASK).status_code == 303
    thanks = client.get("/answer/thanks").get_data(as_text=True)
    raw = STATUS.search(thanks).group(1)
    qr = re.search(r'<img src="(data:image/svg\+xml[^"]+)" alt="[^"]+"', html.unescape(thanks))  # (any language)
    assert qr and qr.group(1) == invitations.qr_data_uri(f"http://localhost/c/{raw}")
    # the case was opened with its contact: the answer will be queued to it
    assert db.session.get(CaseContact, service.by_token(raw).id) is not None
    # no case, no code
    assert client.post("/k/A1/start").status_code == 303
    assert send_step(client, to_follow_up(client, answers), {}).status_code == 303
    assert "status-qr" not in client.get("/answer/thanks").get_data(as_text=True)


def test_a_contact_sealed_with_another_key_does_not_stop_the_answer(client, staff, tokens, answers):
    from cryptography.fernet import Fernet

    case, raw = ask(client, tokens[0], answers)
    db.session.get(CaseContact, case.id).address = Fernet(Fernet.generate_key()).encrypt(ADDRESS.encode())
    db.session.commit()
    answer_in_browser(staff, case.id, "Đã giải quyết.")  # 303: the answer is saved
    assert db.session.get(FeedbackCase, case.id).state == "answered" and messages() == []
    assert "Đã giải quyết." in client.get(f"/c/{raw}").get_data(as_text=True)
