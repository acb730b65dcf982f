"""Fake providers on 127.0.0.1 for the outbox tests (and anyone who needs to see what was sent).

- ``SmtpSink`` (smtp_sink.py): a real SMTP server on a thread; ``.messages`` holds every message it
  took (``.email`` parsed); can require a login, speak STARTTLS or implicit TLS, answer an error
  code (``fail_with = (451, "try later")``), be slow (``delay``), or be down (``stop()`` … ``start()``
  on the same port). ``sink.url()`` is the SMTP_URL to configure.
- ``FakeGateway`` (http_fakes.py): the generic HTTP SMS gateway or Zalo ZNS (``kind="zalo"``), with
  ``mode`` ok | fail (500) | busy (429) | refuse (400) | reject (Zalo error ≠ 0) | slow; every request
  is in ``.requests``, each distinct reference delivered once in ``.delivered``.

    with SmtpSink() as sink:
        app.config["SMTP_URL"] = sink.url()
        ... send ...
        assert [m.email["To"] for m in sink.messages] == [...]
"""
from tests.fakes.http_fakes import FakeGateway
from tests.fakes.smtp_sink import SmtpSink

__all__ = ["FakeGateway", "SmtpSink"]
