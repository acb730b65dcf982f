"""E-mail through SMTP (⚑ SMTP_URL): smtp://[user:pass@]host[:port][?starttls=1], or smtps://… for
implicit TLS (port 465 by default). One connection per message: a worker sends a few messages a
second at most, and a fresh connection never carries a half-broken session into the next one.

The Message-ID is derived from the outbox id (<outbox-42@sender-domain>), so a message sent twice
(the server took it but its answer was lost) is recognisable as one by the receiving side.
"""
from __future__ import annotations

import functools
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from app.outbox.outcome import Permanent, Sent, Temporary, reference, scrub
from app.outbox.queue import Content

TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None


def parse_url(url: str) -> SmtpTarget:
    """SMTP_URL → where and how to connect. Raises ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL: expected smtp://host:port or smtps://host:port")
    if not parts.hostname:
        raise ValueError("SMTP_URL: no host")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    starttls = not implicit and query.get("starttls", ["0"])[0].lower() in TRUE
    try:
        port = parts.port or (465 if implicit else 587 if starttls else 25)
    except ValueError as exc:
        raise ValueError("SMTP_URL: the port is not a number") from exc
    return SmtpTarget(host=parts.hostname, port=port, implicit_tls=implicit, starttls=starttls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


def sender_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def build(message_id: int, content: Content, mail_from: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = Address(addr_spec=content.to)
    email["Subject"] = content.subject  # non-ASCII: encoded (RFC 2047) by the default policy
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = f"<{reference(message_id)}@{sender_domain(mail_from)}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(content.text)
    if content.html:
        email.add_alternative(content.html, subtype="html")
    return email


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """Loading the system's CA bundle takes ~0.15 s: once per process (per SSL_CERT_FILE/DIR)."""
    return ssl.create_default_context()


def _connect(target: SmtpTarget, timeout: float) -> smtplib.SMTP:
    context = None
    if target.implicit_tls or target.starttls:
        context = _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    if target.implicit_tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    try:
        client.ehlo()
        if target.starttls:
            client.starttls(context=context)
            client.ehlo()
        if target.username:
            client.login(target.username, target.password or "")
    except BaseException:
        client.close()
        raise
    return client


def send(message_id: int, kind: str, content: Content, config: Mapping[str, Any]) -> Sent:
    try:
        target = parse_url(config["SMTP_URL"])
    except ValueError as exc:  # the setting, not the message: retried while an administrator fixes it
        raise Temporary(str(exc)) from None
    try:
        email = build(message_id, content, config.get("MAIL_FROM") or "SIPAS <no-reply@localhost>")
    except (ValueError, MessageError) as exc:
        raise Permanent(scrub(f"cannot build the e-mail: {exc}", content.to)) from None
    timeout = float(config.get("OUTBOX_TIMEOUT_SECONDS") or 10)
    try:
        client = _connect(target, timeout)
        try:
            client.send_message(email)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        text = f"SMTP refused the recipient: {codes}"
        raise (Temporary(text) if all(400 <= c < 500 for c in codes) else Permanent(text)) from None
    except smtplib.SMTPNotSupportedError:
        raise Permanent("the SMTP server cannot take this address (no SMTPUTF8)") from None
    except smtplib.SMTPAuthenticationError as exc:
        # the account, not this message: retried (an administrator fixes SMTP_URL meanwhile)
        raise Temporary(f"SMTP login refused ({exc.smtp_code}): check the user and password in SMTP_URL") from None
    except smtplib.SMTPResponseException as exc:
        text = scrub(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", content.to)
        raise (Permanent(text) if 500 <= exc.smtp_code < 600 else Temporary(text)) from None
    except TimeoutError:
        raise Temporary(f"SMTP server did not answer within {timeout:g} s") from None
    except ssl.SSLError as exc:
        raise Temporary(scrub(f"SMTP TLS failed: {exc.reason or exc}", content.to)) from None
    except (smtplib.SMTPException, OSError) as exc:
        if "timed out" in str(exc):  # smtplib reports a timeout while reading an answer as a disconnection
            raise Temporary(f"SMTP server did not answer within {timeout:g} s") from None
        raise Temporary(scrub(f"SMTP unreachable: {type(exc).__name__}: {exc}", content.to)) from None
    return Sent(provider="smtp", provider_message_id=email["Message-ID"].strip("<>"))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
