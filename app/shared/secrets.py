"""Random tokens and keyed digests. Raw tokens are never stored, only their keyed hashes."""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from flask import current_app

TOKEN_BYTES = 24  # 192 random bits, above the 128 the design asks for


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _key(purpose: str) -> bytes:
    base = current_app.config.get("TOKEN_KEY") or current_app.config["SECRET_KEY"]
    return _derived(base, purpose)


@functools.lru_cache(maxsize=64)
def _derived(base: str, purpose: str) -> bytes:
    return hmac.new(base.encode(), f"sipas:{purpose}".encode(), hashlib.sha256).digest()


def keyed_digest(value: str, purpose: str) -> str:
    """HMAC-SHA256 of value under a key derived for one purpose (tokens, dossiers, ...)."""
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return keyed_digest(token, "token")
