"""`flask outbox run` and `flask outbox status`; the worker as a real process stopped by SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.outbox.queue import Content, enqueue
from tests.fakes import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def app_config(sink):
    return {"SMTP_URL": sink.url(), "MAIL_FROM": "SIPAS <no-reply@sipas.example.vn>", "OUTBOX_TIMEOUT_SECONDS": 5.0}


def queue(n: int, channel: str = "email", start: int = 0) -> None:
    for i in range(start, start + n):
        to = f"citizen{i}@example.vn" if channel == "email" else f"849123{i:05d}"
        enqueue("case_answer", channel, Content(to=to, subject="Trả lời", text="Nội dung"),
                idempotency_key=f"case-answer:{channel}:{i}")
    db.session.commit()


def statuses() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.status).order_by(OutboxMessage.id))]


def test_run_once_sends_and_says_which_channels_wait(runner, sink):
    queue(3)
    queue(2, channel="zalo", start=3)
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("queued 0, sent 3, retry later 0, failed 0, cancelled 0; "
                                     "not configured, waiting: zalo")
    assert len(sink.messages) == 3
    assert statuses() == [("email", "sent")] * 3 + [("zalo", "queued")] * 2


def test_run_once_respects_the_limit(runner, sink):
    queue(5)
    assert "sent 2," in runner.invoke(args=["outbox", "run", "--once", "--limit", "2"]).output
    assert len(sink.messages) == 2
    assert runner.invoke(args=["outbox", "run", "--once", "--limit", "0"]).exit_code == 2


def test_status_counts_per_channel_and_names_missing_settings(runner, sink):
    queue(2)
    queue(1, channel="sms", start=2)
    runner.invoke(args=["outbox", "run", "--once", "--limit", "1"])
    lines = runner.invoke(args=["outbox", "status"]).output.splitlines()
    assert lines == ["email: configured; queued 1, sent 1",
                     "sms: NOT configured (set SMS_GATEWAY_URL): messages wait; queued 1",
                     "zalo: NOT configured (set ZALO_ZNS_URL, ZALO_ZNS_TOKEN): messages wait; no messages"]


@pytest.mark.slow
def test_sigterm_lets_the_message_being_sent_finish_then_stops(app, sink):
    queue(3)
    sink.delay = 1.5  # the first message is still being sent when SIGTERM arrives
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "SMTP_URL": sink.url(), "MAIL_FROM": "SIPAS <no-reply@x.vn>"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "outbox", "run"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert sink.data_received.wait(30), worker.stderr.read() if worker.poll() is not None else "no message"
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert time.monotonic() - started < 10
    assert out.strip() == "queued 0, sent 1, retry later 0, failed 0, cancelled 0"
    assert len(sink.messages) == 1
    assert statuses() == [("email", "sent"), ("email", "queued"), ("email", "queued")]


@pytest.mark.slow
def test_two_worker_processes_send_each_message_once(app, sink):
    queue(60)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "SMTP_URL": sink.url(), "MAIL_FROM": "SIPAS <no-reply@x.vn>"}
    command = [sys.executable, "-m", "flask", "--app", "app", "outbox", "run", "--once"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    sent = [int(out.split("sent ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(sent) == 60
    ids = [m.email["Message-ID"] for m in sink.messages]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert statuses() == [("email", "sent")] * 60
