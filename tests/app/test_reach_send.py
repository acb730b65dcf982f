"""Sending invitations (issue 18): `flask invitations send`, the queued messages and their links,
reminders for those who have not answered, and what a refused file leaves behind (nothing)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.collect import invitations
from app.extensions import db
from app.models import AuditEvent, Invitation, InvitationContact, OptOut, OutboxMessage
from app.outbox import addresses
from app.outbox.queue import content_of
from app.programme.questionnaires import questionnaire_of
from app.reach import reminders
from app.shared import sealed
from app.shared.secrets import token_hash
from tests import factories

ENGLISH_LINES = (3, 7, 11)  # data lines whose contact reads English
LINK = re.compile(r"http://localhost/s/([A-Za-z0-9_-]+)\?lang=(vi|en)")


def contacts_csv(count: int = 20, english=ENGLISH_LINES) -> str:
    rows = ["address,language"]
    for n in range(1, count + 1):
        rows.append(f" Citizen{n}@Example.VN ,{'en' if n in english else ''}")
    return "\n".join(rows) + "\n"


def send(runner, tmp_path, text: str, *extra: str, channel: str = "email"):
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["invitations", "send", "--wave", "w1", "--agency", "A1", "--channel", channel,
                               "--input", str(path), *extra])


def queued(kind: str = "invitation") -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def answer(client, token: str, wave) -> None:
    body = {"invitation": token, "answers": factories.satisfied_answers(questionnaire_of(wave.survey_version)),
            "language": "vi"}
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 201, response.get_json()


def test_twenty_contacts_by_email_give_twenty_messages_with_distinct_working_links(runner, client, wave, tmp_path):
    result = send(runner, tmp_path, contacts_csv())
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "20 invitations queued for A1 by email (0 skipped: opted out)"
    rows = list(db.session.scalars(select(Invitation).order_by(Invitation.id)))
    assert len(rows) == 20 and {r.channel for r in rows} == {"email"} and all(r.opened_at is None for r in rows)
    messages = queued()
    assert len(messages) == 20
    assert [m.idempotency_key for m in messages] == [f"invitation:{r.id}" for r in rows]
    assert {m.status for m in messages} == {"queued"} and {m.channel for m in messages} == {"email"}
    q = questionnaire_of(wave.survey_version)
    tokens = set()
    for number, (row, message) in enumerate(zip(rows, messages, strict=True), start=1):
        content = content_of(message)
        language = "en" if number in ENGLISH_LINES else "vi"
        assert content.to == f"citizen{number}@example.vn" and message.language == language
        token, link_language = LINK.search(content.text).groups()
        assert link_language == language and f"http://localhost/o/{token}?lang={language}" in content.text
        assert f'href="http://localhost/s/{token}?lang={language}"' in content.html
        assert token_hash(token) == row.token_hash and token not in message.idempotency_key
        assert (wave.name_en if language == "en" else wave.name_vi) in content.subject
        tokens.add(token)
        contact = db.session.get(InvitationContact, row.id)
        assert contact.language == language and sealed.unseal(contact.token) == token
        assert sealed.unseal(contact.address) == content.to and b"example" not in bytes(contact.address)
        assert contact.address_digest == addresses.digest("email", content.to) and contact.reminders == 0
        # the link opens the questionnaire in the contact's language and counts as opened
        opened = client.get(f"/s/{token}?lang={language}")
        assert opened.status_code == 303 and opened.location.endswith("/answer")
        page = client.get("/answer").get_data(as_text=True)
        title = str(escape(getattr(q.definition.title, language)))
        assert title in page and f'<html lang="{language}">' in page
    assert len(tokens) == 20
    assert all(r.opened_at is not None for r in db.session.scalars(select(Invitation)))
    english = [m for m in messages if m.language == "en"]
    assert len(english) == 3 and all("Please tell us how satisfied you were" in content_of(m).text for m in english)


def test_opening_twice_keeps_the_first_opening(client, wave, token):
    client.get(f"/s/{token}")
    first = db.session.scalar(select(Invitation.opened_at))
    client.get(f"/s/{token}")
    db.session.expire_all()
    assert first is not None and db.session.scalar(select(Invitation.opened_at)) == first


def test_five_answered_then_the_reminder_pass_reaches_exactly_the_fifteen_others(runner, client, wave, tmp_path):
    assert send(runner, tmp_path, contacts_csv()).exit_code == 0
    tokens = [LINK.search(content_of(m).text).group(1) for m in queued()]
    for token in tokens[:5]:
        answer(client, token, wave)
    created = db.session.scalar(select(Invitation.created_at))
    assert reminders.queue_due(now=created + timedelta(days=6, hours=23)) == 0  # not due yet (7 days)
    assert reminders.queue_due(now=created + timedelta(days=7, minutes=1)) == 15
    sent = queued("reminder")
    answered = {invitations.find_any(t).id for t in tokens[:5]}
    assert len(sent) == 15 and not {m.invitation_id for m in sent} & answered
    assert [m.idempotency_key for m in sent] == [f"reminder:{m.invitation_id}:1" for m in sent]
    for message in sent:  # the same link as the invitation, in the contact's language
        invitation = queued()[[m.invitation_id for m in queued()].index(message.invitation_id)]
        first, again = content_of(invitation), content_of(message)
        assert LINK.search(first.text).group(0) == LINK.search(again.text).group(0) and first.to == again.to
        assert again.subject.startswith("Reminder") if message.language == "en" else True
    assert set(db.session.scalars(select(InvitationContact.reminders))) == {0, 1}
    assert reminders.queue_due(now=created + timedelta(days=9)) == 0  # one reminder only
    assert len(queued("reminder")) == 15


def test_an_opt_out_before_the_pass_stops_that_reminder(runner, client, wave, tmp_path):
    assert send(runner, tmp_path, contacts_csv()).exit_code == 0
    tokens = [LINK.search(content_of(m).text).group(1) for m in queued()]
    for token in tokens[:5]:
        answer(client, token, wave)
    assert client.post(f"/o/{tokens[7]}", data={"scope": "wave"}).status_code == 200
    created = db.session.scalar(select(Invitation.created_at))
    assert reminders.queue_due(now=created + timedelta(days=8)) == 14
    stopped = invitations.find_any(tokens[7]).id
    assert stopped not in {m.invitation_id for m in queued("reminder")}
    cancelled = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == stopped))
    assert cancelled.status == "cancelled" and cancelled.sealed is None


def test_an_expired_invitation_gets_no_reminder(runner, wave, tmp_path):
    assert send(runner, tmp_path, contacts_csv(3)).exit_code == 0
    first = db.session.scalar(select(Invitation).order_by(Invitation.id))
    created = first.created_at
    first.expires_at = created + timedelta(days=5)
    db.session.commit()
    assert reminders.queue_due(now=created + timedelta(days=8)) == 2


def test_an_address_opted_out_for_good_is_skipped_and_said_so(runner, wave, tmp_path):
    db.session.add(OptOut(address_digest=addresses.digest("email", "citizen4@example.vn"), wave_id=None))
    db.session.commit()
    result = send(runner, tmp_path, contacts_csv(6))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "5 invitations queued for A1 by email (1 skipped: opted out)"
    assert "citizen4@example.vn" not in {content_of(m).to for m in queued()} and len(queued()) == 5


def test_a_bad_file_names_each_line_and_writes_nothing(runner, wave, tmp_path):
    text = ("address,dossier,language\n"
            "a@example.vn,,\n"
            "not-an-address,,\n"
            "b@example.vn,,fr\n"
            "A@Example.vn ,,\n"
            "c@example.vn,bad code!,\n"
            "d@example.vn,H15.50.05.13-261008-0975,en\n")
    audited = db.session.query(AuditEvent).count()
    result = send(runner, tmp_path, text)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: --input: line 3, column address: expected an e-mail address such as name@example.vn",
        "error: --input: line 4, column language: expected vi or en",
        "error: --input: line 5, column address: the same address as line 2",
        "error: --input: line 6, column dossier: expected a dossier code of 5–40 letters, digits, '.' or '-' "
        "(e.g. H15.50.05.13-261008-0975)",
    ]
    assert db.session.query(Invitation).count() == 0 and db.session.query(OutboxMessage).count() == 0
    assert db.session.query(InvitationContact).count() == 0 and db.session.query(AuditEvent).count() == audited


def test_the_same_file_twice_is_refused_the_second_time(runner, wave, tmp_path):
    assert send(runner, tmp_path, contacts_csv(3)).exit_code == 0
    again = send(runner, tmp_path, contacts_csv(3))
    assert again.exit_code == 1 and "line 2, column address: this address already has an invitation" in again.output
    assert db.session.query(Invitation).count() == 3 and len(queued()) == 3


def test_a_file_over_the_batch_cap_is_refused_naming_the_limit(app, runner, wave, tmp_path):
    app.config["MAX_INVITATIONS_PER_BATCH"] = 5
    result = send(runner, tmp_path, contacts_csv(6))
    assert result.exit_code == 1 and "at most 5 contacts per file" in result.output
    assert db.session.query(Invitation).count() == 0


def test_sms_and_zalo_numbers_are_normalised_and_their_messages_fit(runner, wave, tmp_path):
    result = send(runner, tmp_path, "address\n0912 345 678\n+84 98-765-4321\n", channel="sms")
    assert result.exit_code == 0, result.output
    sms = queued()
    assert [content_of(m).to for m in sms] == ["84912345678", "84987654321"]
    assert all(len(content_of(m).text) <= 300 and "/s/" in content_of(m).text and "/o/" in content_of(m).text
               for m in sms)
    assert all(content_of(m).html is None for m in sms)
    zalo = send(runner, tmp_path, "address,dossier\n0331234567,H15.50.05.13-261008-0975\n", "--language", "en",
                channel="zalo")
    assert zalo.exit_code == 0, zalo.output
    message = queued()[-1]
    params = content_of(message).params
    assert set(params) == {"agency", "survey", "link", "optout"} and params["survey"] == wave.name_en
    assert params["link"].startswith("http://localhost/s/") and params["optout"].startswith("http://localhost/o/")
    assert db.session.get(Invitation, message.invitation_id).dossier_digest == \
        invitations.dossier_digest("H15.50.05.13-261008-0975")


@pytest.mark.parametrize("agency, processing, error", [
    ("ZZ", None, "error: --agency: no agency 'ZZ'"),
    ("A1", "ZZ", "error: --processing-unit: no agency 'ZZ'"),
])
def test_unknown_codes_are_named(runner, wave, tmp_path, agency, processing, error):
    path = tmp_path / "c.csv"
    path.write_text("address\na@example.vn\n")
    args = ["invitations", "send", "--wave", "w1", "--agency", agency, "--channel", "email", "--input", str(path)]
    result = runner.invoke(args=args + (["--processing-unit", processing] if processing else []))
    assert result.exit_code == 1 and error in result.output
    assert db.session.query(Invitation).count() == 0


@pytest.mark.postgres
def test_two_workers_queuing_reminders_at_once_queue_each_exactly_once(app, runner, wave, tmp_path):
    import threading

    assert send(runner, tmp_path, contacts_csv()).exit_code == 0
    now = db.session.scalar(select(Invitation.created_at)) + timedelta(days=8)
    db.session.remove()
    counts, barrier = [], threading.Barrier(2)

    def worker():
        with app.app_context():
            barrier.wait()
            counts.append(reminders.queue_due(now=now))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == 20 and len(counts) == 2
    assert len(queued("reminder")) == 20 and set(db.session.scalars(select(InvitationContact.reminders))) == {1}
