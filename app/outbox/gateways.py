"""Text messages over HTTP: a generic SMS gateway (⚑ SMS_GATEWAY_URL) and Zalo ZNS template
messages (⚑ ZALO_ZNS_URL, ZALO_ZNS_TOKEN, template ids ZALO_ZNS_TEMPLATES[kind]).

Both receive our reference "outbox-<id>" (the gateway's ``reference``, Zalo's ``tracking_id``):
a provider that deduplicates on it turns a retry after a lost answer into one message, and
delivery callbacks may name it. Answers: 2xx sent; 429 and 5xx, no connection or no answer in
OUTBOX_TIMEOUT_SECONDS, our credentials refused (401, 403, Zalo's invalid token): try again
later; any other 4xx (or Zalo's error ≠ 0): refused for good.
"""
from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from app.outbox.outcome import Permanent, Sent, Temporary, reference, scrub
from app.outbox.queue import Content

MAX_ANSWER = 64 * 1024
# Our credentials, not the message, were refused: retried while an administrator renews them
# (a Zalo access token expires after about a day).
CREDENTIALS = (401, 403)
ZALO_TOKEN_ERRORS = (-124, -216)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A POST must not turn into a GET elsewhere: a redirect is an answer like any other."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _split_credentials(url: str) -> tuple[str, str | None]:
    """The URL without user:password@, and the Basic authorisation header they make (if any)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Temporary("the gateway URL must be http(s)://host/path: check the setting")  # not the message's fault
    if parts.username is None:
        return url, None
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return urlunsplit((parts.scheme, host, parts.path, parts.query, "")), "Basic " + base64.b64encode(pair).decode()


def post_json(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float,
              address: str) -> tuple[int, Any]:
    """POST the body as JSON; (status, parsed answer or None). Classifies failures."""
    url, basic = _split_credentials(url)
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", **headers}
    if basic and "Authorization" not in headers:
        headers["Authorization"] = basic
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 - http(s) checked
    try:
        with _OPENER.open(request, timeout=timeout) as answer:  # nosec B310 - http(s) only, checked above
            status, raw = answer.status, answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as exc:
        raw = exc.read(2000) if exc.fp else b""
        text = scrub(f"HTTP {exc.code}: {raw.decode('utf-8', 'replace')[:300]}", address)
        if exc.code in CREDENTIALS or 300 <= exc.code < 400:
            raise Temporary(f"{text} (check the gateway's URL and credentials)") from None
        if exc.code == 429 or exc.code >= 500:
            raise Temporary(text) from None
        raise Permanent(text) from None
    except TimeoutError:
        raise Temporary(f"no answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        raise Temporary(scrub(f"unreachable: {exc.reason}", address)) from None
    except OSError as exc:  # reset connection, broken answer
        raise Temporary(scrub(f"unreachable: {type(exc).__name__}: {exc}", address)) from None
    if not 200 <= status < 300:
        raise Permanent(f"HTTP {status}: unexpected answer")
    try:
        return status, json.loads(raw) if raw.strip() else None
    except ValueError:
        return status, None


def send_sms(message_id: int, kind: str, content: Content, config: Mapping[str, Any]) -> Sent:
    headers = {}
    if config.get("SMS_GATEWAY_TOKEN"):
        headers["Authorization"] = f"Bearer {config['SMS_GATEWAY_TOKEN']}"
    body = {"to": content.to, "text": content.text, "reference": reference(message_id)}
    _, answer = post_json(config["SMS_GATEWAY_URL"], body, headers, _timeout(config), content.to)
    provider_id = None
    if isinstance(answer, dict):
        provider_id = answer.get("id") or answer.get("message_id")
    return Sent(provider="sms", provider_message_id=str(provider_id)[:200] if provider_id is not None else None)


def send_zalo(message_id: int, kind: str, content: Content, config: Mapping[str, Any]) -> Sent:
    template = (config.get("ZALO_ZNS_TEMPLATES") or {}).get(kind)
    if not template:
        raise Permanent(f"no Zalo template for '{kind}': set ZALO_ZNS_TEMPLATE_{kind.upper()}")
    body = {"phone": content.to, "template_id": str(template), "template_data": content.params,
            "tracking_id": reference(message_id)}
    _, answer = post_json(config["ZALO_ZNS_URL"], body, {"access_token": config["ZALO_ZNS_TOKEN"]},
                          _timeout(config), content.to)
    if not isinstance(answer, dict) or "error" not in answer:
        raise Temporary("Zalo answered without an error code")
    if answer["error"] not in (0, "0"):
        message = scrub(str(answer.get("message", ""))[:300], content.to)
        if str(answer["error"]) in {str(code) for code in ZALO_TOKEN_ERRORS}:
            raise Temporary(f"Zalo refused the access token ({answer['error']}): {message}: renew ZALO_ZNS_TOKEN")
        raise Permanent(f"Zalo refused ({answer['error']}): {message}")
    data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
    msg_id = data.get("msg_id")
    return Sent(provider="zalo", provider_message_id=str(msg_id)[:200] if msg_id is not None else None)


def _timeout(config: Mapping[str, Any]) -> float:
    return float(config.get("OUTBOX_TIMEOUT_SECONDS") or 10)
