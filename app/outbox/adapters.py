"""What every provider adapter answers, how failures are classified, and which channels can send.

An adapter's ``send(message_id, kind, content, config) -> Sent`` either returns the provider's id
for the message or raises ``Temporary`` (try again later: the provider is down, slow, busy or
asked us to wait) or ``Permanent`` (this message will never go: refused address, unknown template).
A channel whose setting is missing has no adapter: its messages wait in the queue.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.outbox.queue import Content


@dataclass(frozen=True)
class Sent:
    provider: str  # smtp | sms | zalo: the name delivery callbacks use (/api/v1/delivery/<provider>)
    provider_message_id: str | None


class SendFailure(Exception):
    """A provider did not take the message. ``str()`` never contains the recipient's address."""

    temporary = True


class Temporary(SendFailure):
    temporary = True


class Permanent(SendFailure):
    temporary = False


def reference(message_id: int) -> str:
    """Our id for a message at the providers (their idempotency / tracking id, and callbacks')."""
    return f"outbox-{message_id}"


def message_id_from_reference(value: str) -> int | None:
    match = re.fullmatch(r"outbox-(\d{1,18})", value or "")
    return int(match.group(1)) if match else None


def scrub(text: str, *addresses: str) -> str:
    """An error text without the recipient's address (any of its spellings), at most 500 chars."""
    out = str(text)
    for address in addresses:
        if address:
            out = re.sub(re.escape(address), "<address>", out, flags=re.IGNORECASE)
            digits = re.sub(r"\D", "", address)
            if len(digits) >= 9:  # a phone number: also its national and international forms
                out = re.sub(r"\+?(?:84|0)?" + re.escape(digits[-9:]), "<address>", out)
    return out[:500]


def _smtp_send(message_id: int, kind: str, content: Content, config: Mapping[str, Any]) -> Sent:
    from app.outbox import smtp

    return smtp.send(message_id, kind, content, config)


def _sms_send(message_id: int, kind: str, content: Content, config: Mapping[str, Any]) -> Sent:
    from app.outbox import gateways

    return gateways.send_sms(message_id, kind, content, config)


def _zalo_send(message_id: int, kind: str, content: Content, config: Mapping[str, Any]) -> Sent:
    from app.outbox import gateways

    return gateways.send_zalo(message_id, kind, content, config)


Adapter = Callable[[int, str, Content, Mapping[str, Any]], Sent]

# channel → (the settings it needs, its adapter)
ADAPTERS: dict[str, tuple[tuple[str, ...], Adapter]] = {
    "email": (("SMTP_URL",), _smtp_send),
    "sms": (("SMS_GATEWAY_URL",), _sms_send),
    "zalo": (("ZALO_ZNS_URL", "ZALO_ZNS_TOKEN"), _zalo_send),
}


def missing_settings(channel: str, config: Mapping[str, Any]) -> list[str]:
    """The settings a channel still needs (empty: it can send)."""
    needed, _ = ADAPTERS[channel]
    return [name for name in needed if not config.get(name)]


def configured_channels(config: Mapping[str, Any]) -> list[str]:
    return [channel for channel in ADAPTERS if not missing_settings(channel, config)]


def adapter_for(channel: str, config: Mapping[str, Any]) -> Adapter | None:
    if missing_settings(channel, config):
        return None
    return ADAPTERS[channel][1]
