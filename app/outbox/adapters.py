"""Which channels can send, and their adapters: ``send(message_id, kind, content, config) -> Sent``
(app/outbox/outcome.py says what they answer). A channel whose setting is missing has no adapter:
its messages wait in the queue."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.outbox import gateways, smtp
from app.outbox.outcome import Sent
from app.outbox.queue import Content

Adapter = Callable[[int, str, Content, Mapping[str, Any]], Sent]

# channel → (the settings it needs, its adapter)
ADAPTERS: dict[str, tuple[tuple[str, ...], Adapter]] = {
    "email": (("SMTP_URL",), smtp.send),
    "sms": (("SMS_GATEWAY_URL",), gateways.send_sms),
    "zalo": (("ZALO_ZNS_URL", "ZALO_ZNS_TOKEN"), gateways.send_zalo),
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
