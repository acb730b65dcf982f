"""Issue 18, end to end over real SMTP: twenty invitations reach a local SMTP sink with twenty
distinct working links in the right language; five answers give the funnel 20 / 20 / 5 through
the API; the reminder reaches only the fifteen others, and an opt-out stops one of them; an SMTP
outage delays the reminders without losing or duplicating any."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.models.base import utcnow
from app.outbox import worker
from app.programme.questionnaires import questionnaire_of
from app.reach import reminders
from tests import factories
from tests.fakes import SmtpSink

LINK = re.compile(r"http://localhost/s/([A-Za-z0-9_-]+)\?lang=(vi|en)")
ENGLISH = {3, 7, 11}


def body_of(received) -> str:
    email = received.email
    part = email.get_body(preferencelist=("plain",)) if email.is_multipart() else email
    return part.get_content()


def test_twenty_by_email_five_answer_fifteen_reminded_one_opts_out(app, runner, client, wave, tmp_path, make_user):
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    slug = wave.slug
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("address,language\n" + "".join(
        f"citizen{n}@example.vn,{'en' if n in ENGLISH else 'vi'}\n" for n in range(1, 21)), encoding="utf-8")
    with SmtpSink() as sink:
        app.config["SMTP_URL"] = sink.url()
        sent = runner.invoke(args=["invitations", "send", "--wave", slug, "--agency", "A1", "--channel", "email",
                                   "--input", str(contacts)])
        assert sent.exit_code == 0, sent.output
        assert len(sink.messages) == 0  # queued, never sent on the command's path
        run = runner.invoke(args=["outbox", "run", "--once"])
        assert run.exit_code == 0, run.output
        assert len(sink.messages) == 20 and len(set(sink.recipients())) == 20

        tokens = {}
        for received in sink.messages:
            to = received.rcpt_to[0]
            number = int(re.search(r"citizen(\d+)@", to).group(1))
            token, language = LINK.search(body_of(received)).groups()
            assert language == ("en" if number in ENGLISH else "vi")
            tokens[number] = token
        assert len(set(tokens.values())) == 20
        for number, token in tokens.items():  # every link works, in the citizen's language
            language = "en" if number in ENGLISH else "vi"
            opened = client.get(f"/s/{token}?lang={language}")
            assert opened.status_code == 303, number
            page = client.get(opened.location).get_data(as_text=True)
            assert f'lang="{language}"' in page
        for number in (1, 2, 3, 4, 5):
            response = client.post("/api/v1/responses", json={"invitation": tokens[number], "answers": answers,
                                                              "language": "vi"})
            assert response.status_code == 201

        official, password = make_user("official")
        bearer = client.post("/api/v1/auth/token", json={"email": official.email, "password": password}).get_json()["token"]
        funnel = client.get(f"/api/v1/waves/{slug}/funnel?by=agency", headers={"Authorization": f"Bearer {bearer}"})
        assert funnel.status_code == 200
        row = next(r for r in funnel.get_json()["rows"] if r["channel"] == "email")
        assert (row["agency"], row["issued"], row["sent"], row["completed"]) == ("A1", 20, 20, 5)
        assert row["response_rate"] == 0.25 and row["opened"] == 20

        later = utcnow() + timedelta(days=app.config["INVITATION_REMINDER_DAYS"], minutes=1)
        assert reminders.queue_due(later) == 15  # only the fifteen who have not answered
        assert reminders.queue_due(later) == 0
        # one of them opts out before the reminders go: that reminder never leaves
        done = client.post(f"/o/{tokens[6]}", data={"scope": "wave"})
        assert done.status_code == 200
        # and the provider is down when the worker first tries
        sink.stop()
        outcome = worker.send_due(limit=100, now=later)
        assert outcome == {"retry": 14}  # the opted-out one was cancelled with the opt-out itself
        statuses = sorted(m.status for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")))
        assert statuses == ["cancelled"] + ["queued"] * 14
        waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder",
                                                                 OutboxMessage.status == "queued")).all()
        assert len(waiting) == 14 and all(m.attempts == 1 and m.next_attempt_at > later for m in waiting)
        sink.start()
        outcome = worker.send_due(limit=100, now=later + timedelta(hours=1))
        assert outcome["sent"] == 14
        assert worker.send_due(limit=100, now=later + timedelta(days=1)).get("sent", 0) == 0  # nothing twice
        reminded = sink.recipients()[20:]
        assert len(reminded) == 14 and len(set(reminded)) == 14
        assert set(reminded) == {f"citizen{n}@example.vn" for n in range(7, 21)}  # not 1–5 (answered), not 6
