"""Sending from the administrators' page and from the integration API; a closed wave forgets its
contacts; addresses never reach an export, the audit trail or a page for officials (issue 18)."""
from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Invitation, InvitationContact, OutboxMessage
from app.models.invitation import ApiKey
from app.outbox.queue import content_of
from app.programme import waves
from app.programme.questionnaires import questionnaire_of
from app.reach import contacts, reminders, sending
from app.shared.secrets import keyed_digest
from tests import factories

RAW_KEY = "integration-key-for-tests-0123456789"


def upload(client, wave, text: str, channel: str = "email", language: str = "vi"):
    data = {"send-agency": "A1", "send-channel": channel, "send-language": language,
            "send-contacts": (io.BytesIO(text.encode()), "contacts.csv")}
    return client.post(f"/admin/waves/{wave.slug}/invitations/send", data=data, content_type="multipart/form-data")


def api_key() -> str:
    db.session.add(ApiKey(key_hash=keyed_digest(RAW_KEY, "api-key"), name="Một cửa"))
    db.session.commit()
    return RAW_KEY


def test_the_admin_page_sends_an_uploaded_file_in_each_rows_language(client, login_as, wave):
    login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/invitations").get_data(as_text=True)
    assert 'action="/admin/waves/w1/invitations/send"' in page and 'name="send-contacts"' in page
    response = upload(client, wave, "address,language\nan@example.vn,en\nbinh@example.vn,\n", language="vi")
    assert response.status_code == 303
    flashed = client.get(response.location).get_data(as_text=True)
    assert re.search(r"2 [^<]*A1", flashed) and "an@example.vn" not in flashed
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(content_of(m).to, m.language) for m in messages] == [("an@example.vn", "en"), ("binh@example.vn", "vi")]
    assert {i.channel for i in db.session.scalars(select(Invitation))} == {"email"}


def test_a_bad_upload_shows_each_line_and_writes_nothing(client, login_as, wave):
    login_as("admin")
    response = upload(client, wave, "address\nan@example.vn\nnot an address\nan@example.vn\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r"<td>3</td><td>address</td><td>[^<]+</td>", page)
    assert re.search(r"<td>4</td><td>address</td><td>[^<]+ 2</td>", page)  # the same address as line 2
    assert db.session.query(Invitation).count() == 0 and db.session.query(OutboxMessage).count() == 0
    missing = client.post(f"/admin/waves/{wave.slug}/invitations/send", data={"send-agency": "A1",
                                                                            "send-channel": "email",
                                                                            "send-language": "vi"})
    assert missing.status_code == 400 and db.session.query(Invitation).count() == 0


def test_only_administrators_may_send(client, login_as, wave):
    login_as("agency", wave.agencies[0])
    assert upload(client, wave, "address\nan@example.vn\n").status_code == 403
    assert db.session.query(Invitation).count() == 0


def test_the_api_sends_an_invitation_to_a_contact(client, wave):
    key = api_key()
    body = {"wave": wave.slug, "agency": "A1", "contact": {"channel": "sms", "address": "0912345678", "language": "en"}}
    response = client.post("/api/v1/invitations", json=body, headers={"X-API-Key": key})
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert set(answer) == {"url", "expires_at", "queued"} and answer["queued"] is True
    message = db.session.scalar(select(OutboxMessage))
    content = content_of(message)
    token = answer["url"].rsplit("/", 1)[1]
    assert content.to == "84912345678" and f"/s/{token}?lang=en" in content.text and message.language == "en"
    invitation = db.session.scalar(select(Invitation))
    assert invitation.channel == "sms" and message.idempotency_key == f"invitation:{invitation.id}"
    assert db.session.get(InvitationContact, invitation.id).channel == "sms"
    plain = client.post("/api/v1/invitations", json={"wave": wave.slug, "agency": "A1"}, headers={"X-API-Key": key})
    assert plain.status_code == 201 and "queued" not in plain.get_json()
    assert db.session.scalars(select(Invitation.channel).order_by(Invitation.id)).all() == ["sms", "link"]


def test_a_bad_contact_is_a_400_naming_its_field_and_issues_nothing(client, wave):
    key = api_key()
    cases = [({"channel": "fax", "address": "x"}, "contact.channel"),
             ({"channel": "email", "address": "not-mail"}, "contact.address"),
             ({"channel": "sms", "address": "12345"}, "contact.address"),
             ({"channel": "email", "address": 42}, "contact.address"),
             ({"channel": "email", "address": "a@example.vn", "language": "fr"}, "contact.language"),
             ({"channel": "email", "address": "a@example.vn", "phone": "1"}, "contact.phone"),
             ("a@example.vn", "contact")]
    for contact, field in cases:
        response = client.post("/api/v1/invitations", json={"wave": wave.slug, "agency": "A1", "contact": contact},
                               headers={"X-API-Key": key})
        assert response.status_code == 400, (contact, response.get_json())
        assert response.get_json()["errors"][0]["field"] == field
    assert db.session.query(Invitation).count() == 0 and db.session.query(OutboxMessage).count() == 0


def test_the_openapi_spec_describes_the_contact(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/invitations"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]["properties"]["contact"]
    assert schema["required"] == ["channel", "address"] and schema["properties"]["channel"]["enum"] == [
        "email", "sms", "zalo"]
    assert "queued" in json.dumps(post["responses"]["201"])


def test_closing_the_wave_deletes_its_contacts_and_cancels_what_was_not_sent(client, wave, login_as):
    other = factories.wave("w2", agency_list=list(wave.agencies))
    db.session.commit()
    for item, text in ((wave, "address\na@example.vn\nb@example.vn\nc@example.vn\n"), (other, "address\nd@example.vn\n")):
        sending.send(item, item.agencies[0], contacts.parse(item, "email", text), actor_name="test")
    db.session.commit()
    login_as("admin")  # the confirmation says how many addresses closing deletes
    asked = client.post(f"/admin/waves/{wave.slug}/status?lang=en", data={"status": "closed"}).get_data(as_text=True)
    assert "3 citizens&#39; contact addresses (invitations sent by message) will be deleted" in asked
    first = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
    first.status, first.sealed = "sent", None  # already sent: stays sent
    db.session.commit()
    waves.set_status(wave, "closed")
    db.session.commit()
    left = db.session.scalars(select(InvitationContact.invitation_id)).all()
    assert left == [db.session.scalar(select(Invitation.id).where(Invitation.wave_id == other.id))]
    statuses = {(m.wave_id, m.status, m.sealed is None) for m in db.session.scalars(select(OutboxMessage))}
    assert statuses == {(wave.id, "sent", True), (wave.id, "cancelled", True), (other.id, "queued", False)}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "wave.forget_contacts"))
    assert event.after == {"contacts_deleted": 3, "messages_cancelled": 2}
    waves.set_status(wave, "open")  # reopened: nobody to remind any more
    db.session.commit()
    assert reminders.queue_due(now=first.created_at.replace(year=first.created_at.year + 1)) == 0


def test_addresses_never_reach_an_export_or_the_audit_trail(client, runner, login_as, wave, tmp_path):
    login_as("admin")
    text = "address,language\nlan.nguyen@example.vn,en\nminh.tran@example.vn,\n"
    assert upload(client, wave, text).status_code == 303
    key = api_key()
    client.post("/api/v1/invitations", headers={"X-API-Key": key}, json={
        "wave": wave.slug, "agency": "A1", "contact": {"channel": "zalo", "address": "0987654321"}})
    tokens = [re.search(r"/s/([A-Za-z0-9_-]+)", content_of(m).text).group(1)
              for m in db.session.scalars(select(OutboxMessage))]
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for token in tokens:
        assert client.post("/api/v1/responses", json={"invitation": token, "answers": answers,
                                                      "language": "vi"}).status_code == 201
    out = tmp_path / "responses.csv"
    assert runner.invoke(args=["responses", "export", "--wave", wave.slug, "--format", "csv",
                               "--output", str(out)]).exit_code == 0
    export = out.read_text(encoding="utf-8")
    audit = json.dumps([[e.action, e.actor, e.object_id, e.before, e.after]
                        for e in db.session.scalars(select(AuditEvent))], ensure_ascii=False)
    audit_csv = client.get("/admin/audit/export.csv").get_data(as_text=True)
    assert export.count("\n") == 4 and "invitation.send" in audit and "invitation.send" in audit_csv
    for secret in ("lan.nguyen", "minh.tran", "example.vn", "987654321", *tokens):
        assert secret not in export and secret not in audit and secret not in audit_csv
