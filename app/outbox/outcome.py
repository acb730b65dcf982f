"""What a provider adapter answers and how failures are classified.

An adapter's ``send(message_id, kind, content, config) -> Sent`` either returns the provider's id
for the message or raises ``Temporary`` (try again later: the provider is down, slow, busy or
asked us to wait) or ``Permanent`` (this message will never go: refused address, unknown template).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


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
        if not address:
            continue
        digits = re.sub(r"\D", "", address)
        if len(digits) >= 9:  # a phone number: also its national and international forms
            out = re.sub(r"\+?(?:84|0)?" + re.escape(digits[-9:]), "<address>", out)
        out = re.sub(re.escape(address), "<address>", out, flags=re.IGNORECASE)
    return out[:500]
