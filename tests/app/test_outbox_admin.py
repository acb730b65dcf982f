"""The administrator's outbox page: counts per channel and status, channels waiting for their
settings, the latest errors; never an address; administrators only."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.outbox.queue import Content, enqueue


@pytest.fixture
def app_config():
    return {"SMTP_URL": "smtp://127.0.0.1:1"}


def test_counts_settings_and_errors_without_addresses(client, login_as):
    for i, (channel, status) in enumerate([("email", "sent"), ("email", "sent"), ("email", "failed"),
                                           ("sms", "queued")]):
        to = "hidden.person@example.vn" if channel == "email" else "0912345678"
        message = enqueue("invitation", channel, Content(to=to, subject="s", text="private text"),
                          idempotency_key=f"invitation:{i}")
        message.status = status
        if status == "failed":
            message.attempts, message.last_error, message.sealed = 8, "SMTP 550: mailbox unavailable", None
    db.session.commit()
    login_as("admin")
    client.get("/?lang=en")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "SMTP 550: mailbox unavailable" in page
    assert "no: messages wait until SMS_GATEWAY_URL is set" in page
    assert "no: messages wait until ZALO_ZNS_URL, ZALO_ZNS_TOKEN is set" in page
    email_row = page.split('<th scope="row">E-mail</th>')[1].split("</tr>")[0]
    assert [cell.split(">")[1] for cell in email_row.split('<td class="num"')[1:]] == \
        ["0</td", "0</td", "2</td", "0</td", "0</td", "1</td", "0</td"]
    assert "hidden.person" not in page and "912345678" not in page and "private text" not in page
    client.get("/?lang=vi")
    assert client.get("/admin/outbox").status_code == 200


def test_only_administrators(client, login_as):
    login_as("official")
    assert client.get("/admin/outbox").status_code == 403
