"""Addresses as the outbox keeps them: one normal form per channel, and its keyed digest (opt-outs)."""
from __future__ import annotations

import re

from flask_babel import gettext as _

from app.shared.secrets import keyed_digest

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
# Vietnamese mobile numbers: 0 + 9 digits (03x, 05x, 07x, 08x, 09x), written also +84… or 84….
PHONE_RE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")


def normalise(channel: str, address: str) -> str:
    """E-mail: trimmed, lower-case. SMS and Zalo: 84 + the nine digits of a Vietnamese mobile
    number. Raises ValueError saying what was expected."""
    value = (address or "").strip()
    if channel == "email":
        value = value.lower()
        if len(value) > 254 or not EMAIL_RE.match(value):
            raise ValueError(_("expected an e-mail address such as name@example.vn"))
        return value
    if channel in ("sms", "zalo"):
        digits = re.sub(r"[\s.\-()]", "", value)
        match = PHONE_RE.match(digits)
        if not match:
            raise ValueError(_("expected a Vietnamese mobile number such as 0912345678 or +84912345678"))
        return "84" + match.group(1)
    raise ValueError(_("expected a channel: email, sms or zalo"))


def digest(channel: str, address: str) -> str:
    """Keyed digest of the normal form (the same person on SMS and Zalo has one phone digest)."""
    return keyed_digest(normalise(channel, address), "contact")
