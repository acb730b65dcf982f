"""Sealed at rest (Fernet: AES-128-CBC with HMAC-SHA256): a citizen's contact address (a case's,
an invitation's) and a queued message's content (its link holds a raw token).

The key is CASE_CONTACT_KEY (a Fernet key: 32 url-safe base64 bytes, from the environment), so that
a copy of the database alone does not reveal anybody's phone or e-mail. Without it, the key is
derived from SECRET_KEY with HKDF-SHA256 (info "sipas:case-contact"): still apart from the
database, but rotating SECRET_KEY then makes the sealed addresses unreadable. Set CASE_CONTACT_KEY
in production (`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`).
The address is never logged, audited, exported or shown to an official.
"""
from __future__ import annotations

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

HKDF_INFO = b"sipas:case-contact"


class UnsealError(ValueError):
    """The blob was not sealed with this key (wrong key, or damaged)."""


@functools.lru_cache(maxsize=8)
def _fernet(configured: str | None, secret: str) -> Fernet:
    if configured:
        return Fernet(configured.encode() if isinstance(configured, str) else configured)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _key() -> Fernet:
    return _fernet(current_app.config.get("CASE_CONTACT_KEY") or None, current_app.config["SECRET_KEY"])


def seal(address: str) -> bytes:
    return _key().encrypt(address.encode("utf-8"))


def seal_json(value) -> bytes:
    return seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def unseal_json(blob: bytes):
    return json.loads(unseal(blob))


def unseal(blob: bytes) -> str:
    try:
        return _key().decrypt(bytes(blob)).decode("utf-8")
    except InvalidToken:
        raise UnsealError("the contact cannot be opened with this key") from None
