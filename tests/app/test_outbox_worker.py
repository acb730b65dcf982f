"""The sending worker against fake providers: outages delay without losing or duplicating, slow
providers time out and are retried, two workers never send a message twice, content is dropped
after sending, opt-outs cancel queued invitations."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OptOut, OutboxMessage
from app.models.base import utcnow
from app.outbox import addresses, worker
from app.outbox.queue import Content, content_of, enqueue
from tests import factories
from tests.fakes import FakeGateway, SmtpSink


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def sms():
    with FakeGateway("sms") as server:
        yield server


@pytest.fixture
def app_config(sink, sms):
    return {"SMTP_URL": sink.url(), "MAIL_FROM": "SIPAS <no-reply@sipas.example.vn>", "SMS_GATEWAY_URL": sms.url(),
            "OUTBOX_TIMEOUT_SECONDS": 10.0, "OUTBOX_BACKOFF_SECONDS": 60, "OUTBOX_MAX_ATTEMPTS": 4}


def queue(n: int, channel: str = "sms", kind: str = "invitation", wave_id=None, start: int = 0) -> list[int]:
    ids = []
    for i in range(start, start + n):
        to = f"citizen{i}@example.vn" if channel == "email" else f"8491{i:07d}"
        message = enqueue(kind, channel, Content(to=to, subject=f"Thư mời {i}", text=f"Mời trả lời số {i}"),
                          idempotency_key=f"{kind}:{channel}:{i}", wave_id=wave_id)
        ids.append(message.id)
    db.session.commit()
    return ids


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_sent_message_keeps_the_provider_id_and_drops_its_content(app, sms):
    [message_id] = queue(1)
    t0 = utcnow()
    counts = worker.send_due(now=t0)
    assert counts == {"sent": 1}
    [row] = rows()
    assert (row.status, row.attempts, row.provider, row.provider_message_id) == ("sent", 1, "sms", "sms-1001")
    assert row.sealed is None and content_of(row) is None
    assert row.sent_at == t0 and row.claimed_until is None and row.last_error is None
    assert sms.delivered[f"outbox-{message_id}"]["text"] == "Mời trả lời số 0"
    assert worker.send_due(now=t0 + timedelta(days=1)) == {}
    assert len(sms.requests) == 1


def test_an_outage_delays_messages_without_losing_or_duplicating_any(app, sms):
    ids = queue(10)
    t0 = utcnow()
    sms.mode = "fail"  # answers 500
    assert worker.send_due(now=t0) == {"retry": 10}
    assert {(r.status, r.attempts, r.next_attempt_at - t0) for r in rows()} == {("queued", 1, timedelta(seconds=60))}
    assert all(r.sealed is not None and "HTTP 500" in r.last_error for r in rows())
    assert worker.send_due(now=t0 + timedelta(seconds=59)) == {}  # not due yet
    sms.stop()  # down: connection refused
    assert worker.send_due(now=t0 + timedelta(seconds=60)) == {"retry": 10}
    assert {r.next_attempt_at - t0 for r in rows()} == {timedelta(seconds=60 + 120)}
    assert all("unreachable" in r.last_error for r in rows())
    sms.start()  # back, on the same port
    sms.mode = "ok"
    assert worker.send_due(now=t0 + timedelta(seconds=180)) == {"sent": 10}
    assert worker.send_due(now=t0 + timedelta(days=1)) == {}
    assert sorted(sms.delivered) == sorted(f"outbox-{i}" for i in ids)
    assert len(sms.requests) == 10 + 10  # 10 refused with 500, 10 delivered; none twice
    assert [(r.status, r.attempts, r.sealed) for r in rows()] == [("sent", 3, None)] * 10


def test_a_slow_provider_times_out_and_the_retry_is_recognised_as_the_same_message(app, sms, sink):
    [sms_id] = queue(1)
    [mail_id] = queue(1, channel="email", start=1)
    app.config["OUTBOX_TIMEOUT_SECONDS"] = 0.5  # short here only: elsewhere a loaded machine must not time out
    sms.script, sms.slow_seconds = ["slow"], 1.2
    sink.delay = 1.2
    t0 = utcnow()
    assert worker.send_due(now=t0) == {"retry": 2}
    assert all("within 0.5 s" in r.last_error for r in rows())
    time.sleep(1.0)  # the slow provider finishes its work after we stopped waiting
    sink.delay = 0
    assert worker.send_due(now=t0 + timedelta(minutes=1)) == {"sent": 2}
    # the gateway got the SMS twice under one reference and delivered it once, with one id
    assert [r["body"]["reference"] for r in sms.requests] == [f"outbox-{sms_id}"] * 2
    assert list(sms.delivered) == [f"outbox-{sms_id}"]
    assert rows()[0].provider_message_id == "sms-1001"
    # the SMTP server took both copies: one Message-ID, so the mailbox shows them as one message
    assert [m.email["Message-ID"] for m in sink.messages] == [f"<outbox-{mail_id}@sipas.example.vn>"] * 2


def test_a_permanent_refusal_fails_at_once_and_repeated_outages_fail_after_the_last_attempt(app, sms):
    [refused] = queue(1)
    sms.mode = "refuse"
    t0 = utcnow()
    assert worker.send_due(now=t0) == {"failed": 1}
    [row] = rows()
    assert (row.status, row.attempts, row.sealed) == ("failed", 1, None)
    assert "HTTP 400" in row.last_error and "8491" not in row.last_error
    queue(1, start=1)
    sms.mode = "busy"  # 429 each time
    moment, waits = utcnow(), []
    for _ in range(4):
        counts = worker.send_due(now=moment)
        row = rows()[1]
        waits.append(row.next_attempt_at - moment)
        moment = row.next_attempt_at
    assert counts == {"failed": 1}
    assert (row.status, row.attempts, row.sealed) == ("failed", 4, None)
    assert waits[:3] == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert worker.backoff(30, 60) == timedelta(hours=6)


def test_two_workers_send_each_message_exactly_once(app, sink):
    # what is tested is the claim, not the provider's speed: a loaded CI machine may take a while
    # to answer one of the 40 connections
    app.config["OUTBOX_TIMEOUT_SECONDS"] = 30.0
    queue(40, channel="email")
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait()
                results.append(worker.send_due(limit=1000))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(r["sent"] for r in results) == 40
    ids = [m.email["Message-ID"] for m in sink.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert {(r.status, r.attempts) for r in rows()} == {("sent", 1)}


def test_a_dead_workers_claim_is_taken_over_after_its_lease(app, sms):
    dead, alive = queue(2)
    now = utcnow()
    for message_id, until in ((dead, now - timedelta(seconds=1)), (alive, now + timedelta(seconds=60))):
        row = db.session.get(OutboxMessage, message_id)
        row.status, row.claimed_until, row.attempts = "sending", until, 1
    db.session.commit()
    assert worker.claim(alive, now, 120) is False
    assert worker.send_due(now=now) == {"sent": 1}
    first, second = rows()
    assert (first.status, first.attempts) == ("sent", 2)
    assert (second.status, second.sealed is not None) == ("sending", True)
    assert list(sms.delivered) == [f"outbox-{dead}"]


def test_opt_out_cancels_queued_invitations_and_reminders_only(app, sink):
    wave, other = factories.wave("w1"), factories.wave("w2", agency_list=[factories.agency("A2")])
    db.session.commit()
    this_wave, for_good, elsewhere, case_mail = 0, 1, 2, 3
    queue(1, channel="email", wave_id=wave.id, start=this_wave)
    queue(1, channel="email", kind="reminder", wave_id=other.id, start=for_good)
    queue(1, channel="email", wave_id=wave.id, start=elsewhere)
    queue(1, channel="email", kind="case_answer", start=case_mail)
    db.session.add_all([
        OptOut(address_digest=addresses.digest("email", " Citizen0@EXAMPLE.vn"), wave_id=wave.id),
        OptOut(address_digest=addresses.digest("email", "citizen1@example.vn"), wave_id=None),
        OptOut(address_digest=addresses.digest("email", "citizen2@example.vn"), wave_id=other.id),
        OptOut(address_digest=addresses.digest("email", "citizen3@example.vn"), wave_id=None)])
    db.session.commit()
    assert worker.send_due() == {"cancelled": 2, "sent": 2}
    assert [(r.status, r.sealed) for r in rows()] == [("cancelled", None), ("cancelled", None), ("sent", None),
                                                      ("sent", None)]
    assert sink.recipients() == ["citizen2@example.vn", "citizen3@example.vn"]


def test_a_channel_without_settings_keeps_its_messages_queued_and_says_so_once(app, sms, caplog):
    worker._told_unconfigured.clear()
    queue(2, channel="zalo")
    queue(1, channel="sms", start=2)
    with caplog.at_level(logging.WARNING, logger="app.outbox"):
        assert worker.send_due() == {"sent": 1}
        assert worker.send_due() == {}
    said = [r.getMessage() for r in caplog.records if "zalo" in r.getMessage()]
    assert said == ["outbox: zalo messages are waiting: the zalo channel is not configured"]
    assert [(r.channel, r.status, r.attempts) for r in rows()] == [("zalo", "queued", 0)] * 2 + [("sms", "sent", 1)]


def test_a_worker_with_another_key_keeps_the_message_for_later(app, sms):
    from cryptography.fernet import Fernet

    queue(1)
    app.config["CASE_CONTACT_KEY"] = Fernet.generate_key().decode()
    assert worker.send_due() == {"retry": 1}
    [row] = rows()
    assert (row.status, row.sealed is not None, row.last_error) == ("queued", True, worker.UNSEAL_ERROR)
    assert sms.requests == []
