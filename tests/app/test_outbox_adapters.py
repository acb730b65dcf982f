"""The provider adapters against fake providers on 127.0.0.1: what arrives, and how each failure
is classified (temporary: retry later; permanent: never)."""
from __future__ import annotations

import time

import pytest

from app.outbox import gateways, smtp
from app.outbox.outcome import Permanent, Temporary
from app.outbox.queue import Content
from tests.fakes import FakeGateway, SmtpSink
from tests.fakes.serving import closed_port
from tests.fakes.tls import self_signed

MAIL = Content(to="Citizen@Example.vn", subject="Mời đánh giá: Sở Tư pháp",
               text="Xin mời ông/bà trả lời: http://localhost/s/abc", html="<p>Xin mời <a href='x'>trả lời</a></p>")
SMS = Content(to="84912345678", subject="", text="SIPAS: moi ong/ba danh gia http://localhost/s/abc",
              params={"agency": "Sở Tư pháp", "link": "http://localhost/s/abc"})


def config(**extra):
    # generous: only the tests of slow providers set a short timeout, so load never fails the others
    return {"MAIL_FROM": "SIPAS <no-reply@sipas.example.vn>", "OUTBOX_TIMEOUT_SECONDS": 10.0, **extra}


def test_smtp_plain_message_with_utf8_subject_html_part_and_message_id_from_the_outbox_id():
    with SmtpSink() as sink:
        sent = smtp.send(42, "invitation", MAIL, config(SMTP_URL=sink.url()))
    assert sent.provider == "smtp"
    assert sent.provider_message_id == "outbox-42@sipas.example.vn"
    [received] = sink.messages
    assert received.rcpt_to == ["Citizen@Example.vn"]
    assert received.mail_from == "no-reply@sipas.example.vn"
    email = received.email
    assert email["Subject"] == "Mời đánh giá: Sở Tư pháp"
    assert b"=?utf-8?" in received.data  # encoded header on the wire
    assert email["Message-ID"] == "<outbox-42@sipas.example.vn>"
    assert email.get_body(("plain",)).get_content().strip() == MAIL.text
    assert "trả lời</a>" in email.get_body(("html",)).get_content()


def test_smtp_login_and_starttls_and_implicit_tls(tmp_path, monkeypatch):
    cert = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))  # the client trusts the fake's certificate
    with SmtpSink(username="mailer", password="p@ss:w/rd", cert=cert) as sink:
        url = sink.url(starttls=True).replace("p@ss:w/rd", "p%40ss%3Aw%2Frd")
        smtp.send(1, "digest", MAIL, config(SMTP_URL=url))
        with pytest.raises(Temporary, match="login refused"):
            smtp.send(2, "digest", MAIL, config(SMTP_URL=url.replace("mailer", "intruder")))
    assert len(sink.messages) == 1
    with SmtpSink(cert=cert, implicit_tls=True) as tls_sink:
        assert tls_sink.url().startswith("smtps://")
        smtp.send(3, "digest", MAIL, config(SMTP_URL=tls_sink.url()))
    assert tls_sink.messages[0].email["Message-ID"] == "<outbox-3@sipas.example.vn>"
    monkeypatch.delenv("SSL_CERT_FILE")
    with SmtpSink(cert=cert, implicit_tls=True) as untrusted, pytest.raises(Temporary, match="TLS"):
        smtp.send(4, "digest", MAIL, config(SMTP_URL=untrusted.url()))


def test_smtp_failures_are_classified_and_never_name_the_address():
    with SmtpSink() as sink:
        sink.fail_with = (451, "4.3.0 mailbox for Citizen@Example.vn busy")
        with pytest.raises(Temporary) as busy:
            smtp.send(5, "invitation", MAIL, config(SMTP_URL=sink.url()))
        assert "451" in str(busy.value) and "example.vn" not in str(busy.value).lower()
        sink.fail_with = (554, "5.7.1 rejected")
        with pytest.raises(Permanent, match="554"):
            smtp.send(6, "invitation", MAIL, config(SMTP_URL=sink.url()))
        sink.fail_with, sink.rcpt_fail = None, (550, "5.1.1 no such user citizen@example.vn")
        with pytest.raises(Permanent) as unknown:
            smtp.send(7, "invitation", MAIL, config(SMTP_URL=sink.url()))
        assert "example.vn" not in str(unknown.value).lower()
        sink.rcpt_fail = (452, "4.2.2 over quota")
        with pytest.raises(Temporary):
            smtp.send(8, "invitation", MAIL, config(SMTP_URL=sink.url()))
        sink.rcpt_fail, sink.delay = None, 3.0
        started = time.monotonic()
        with pytest.raises(Temporary, match="did not answer within 0.5"):
            smtp.send(9, "invitation", MAIL, config(SMTP_URL=sink.url(), OUTBOX_TIMEOUT_SECONDS=0.5))
        assert time.monotonic() - started < 2.8  # gave up well before the sink's answer
    with pytest.raises(Temporary, match="unreachable"):
        smtp.send(10, "invitation", MAIL, config(SMTP_URL=f"smtp://127.0.0.1:{closed_port()}"))
    with pytest.raises(Temporary, match="SMTP_URL"):  # a setting to fix, not a reason to drop the message
        smtp.send(11, "invitation", MAIL, config(SMTP_URL="http://127.0.0.1"))
    with pytest.raises(Permanent, match="cannot build"):
        smtp.send(12, "invitation", Content(to="not an address <x", subject="s", text="t"), config(SMTP_URL="smtp://h"))


def test_smtp_url_forms():
    assert smtp.parse_url("smtp://u:p@mail.example.vn:587?starttls=1") == smtp.SmtpTarget(
        "mail.example.vn", 587, False, True, "u", "p")
    assert smtp.parse_url("smtps://mail.example.vn").port == 465
    assert smtp.parse_url("smtp://relay").port == 25 and smtp.parse_url("smtp://relay").username is None


def test_sms_gateway_posts_json_with_reference_and_bearer_token():
    with FakeGateway("sms", token="s3cret") as gateway:
        sent = gateways.send_sms(7, "invitation", SMS, config(SMS_GATEWAY_URL=gateway.url(),
                                                              SMS_GATEWAY_TOKEN="s3cret"))
        with pytest.raises(Temporary, match="HTTP 401.*credentials"):  # our token, not the message
            gateways.send_sms(8, "invitation", SMS, config(SMS_GATEWAY_URL=gateway.url(), SMS_GATEWAY_TOKEN="no"))
    assert sent.provider == "sms" and sent.provider_message_id == "sms-1001"
    request = gateway.requests[0]
    assert request["body"] == {"to": "84912345678", "text": SMS.text, "reference": "outbox-7"}
    assert request["headers"]["authorization"] == "Bearer s3cret"
    assert request["path"] == "/send"


def test_sms_gateway_basic_auth_from_the_url():
    with FakeGateway("sms", user="sipas", password="pw") as gateway:
        sent = gateways.send_sms(9, "reminder", SMS, config(SMS_GATEWAY_URL=gateway.url()))
    assert sent.provider_message_id == "sms-1001"
    assert gateway.requests[0]["headers"]["authorization"].startswith("Basic ")
    assert "127.0.0.1" in gateway.requests[0]["headers"]["host"]


@pytest.mark.parametrize(("mode", "failure"), [("fail", Temporary), ("busy", Temporary), ("refuse", Permanent),
                                              ("slow", Temporary)])
def test_sms_gateway_answers_are_classified(mode, failure):
    with FakeGateway("sms") as gateway:
        gateway.mode, gateway.slow_seconds = mode, 1.2
        with pytest.raises(failure) as raised:
            gateways.send_sms(3, "invitation", SMS, config(SMS_GATEWAY_URL=gateway.url(),
                                                           OUTBOX_TIMEOUT_SECONDS=0.4 if mode == "slow" else 10.0))
    assert "912345678" not in str(raised.value)
    if mode == "slow":
        assert "0.4" in str(raised.value)


def test_gateway_down_is_temporary():
    with pytest.raises(Temporary, match="unreachable"):
        gateways.send_sms(3, "invitation", SMS, config(SMS_GATEWAY_URL=f"http://127.0.0.1:{closed_port()}/send"))


def test_zalo_template_message():
    settings = config(ZALO_ZNS_URL=None, ZALO_ZNS_TOKEN="zt", ZALO_ZNS_TEMPLATES={"invitation": "231456"})
    with FakeGateway("zalo", token="zt") as zalo:
        settings["ZALO_ZNS_URL"] = zalo.url("/message/template")
        sent = gateways.send_zalo(12, "invitation", SMS, settings)
        with pytest.raises(Permanent, match="no Zalo template for 'reminder'"):
            gateways.send_zalo(13, "reminder", SMS, settings)
        zalo.mode = "reject"
        with pytest.raises(Permanent, match=r"Zalo refused \(-139\)"):
            gateways.send_zalo(14, "invitation", SMS, settings)
        zalo.mode = "ok"
        with pytest.raises(Temporary, match=r"-124.*renew ZALO_ZNS_TOKEN"):  # expired token: not the message's fault
            gateways.send_zalo(15, "invitation", SMS, {**settings, "ZALO_ZNS_TOKEN": "expired"})
        zalo.mode = "fail"
        with pytest.raises(Temporary, match="HTTP 500"):
            gateways.send_zalo(16, "invitation", SMS, settings)
    assert sent.provider == "zalo" and sent.provider_message_id == "zalo-1001"
    first = zalo.requests[0]
    assert first["headers"]["access_token"] == "zt"
    assert first["body"] == {"phone": "84912345678", "template_id": "231456",
                             "template_data": {"agency": "Sở Tư pháp", "link": "http://localhost/s/abc"},
                             "tracking_id": "outbox-12"}
    assert len(zalo.requests) == 4  # the missing template never reached Zalo


def test_errors_lose_every_spelling_of_the_address():
    from app.outbox.outcome import scrub

    assert scrub("550 <Citizen@Example.VN> unknown", "citizen@example.vn") == "550 <<address>> unknown"
    text = "rejected 84912345678, +84912345678 and 0912345678; code 400"
    assert scrub(text, "84912345678") == "rejected <address>, <address> and <address>; code 400"
    assert len(scrub("x" * 2000, "a@b.vn")) == 500
