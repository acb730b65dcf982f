"""Per-address limits that count failures only.

A valid invitation or kiosk key is its own credential: many citizens share one address (a
carrier's NAT, the one-stop centre's Wi-Fi, the one-stop software posting for its users), so a
request that carries one is never refused by a per-address limit. What an attacker needs is
counted instead: unknown, used or expired tokens and bad kiosk keys. Once an address has used up
its allowance, its failures are answered 429 (so guessing learns nothing), while its valid
requests still go through.

Counters live in the rate limiter's storage (Redis when REDIS_URL is set). If that storage fails,
counting goes on in this process's memory for a while, with a logged warning: the service stays
up and attackers stay slowed down.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, request
from flask.typing import ResponseReturnValue
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from app.extensions import limiter

RETRY_STORAGE_AFTER = 30.0  # seconds in memory after a storage error before trying it again
_lock = threading.Lock()


def _state() -> dict:
    """This app's fallback counters and how long to keep using them."""
    state = current_app.extensions.get("sipas_throttle")
    if state is None:
        with _lock:
            state = current_app.extensions.setdefault(
                "sipas_throttle", {"dead_until": 0.0, "fallback": MovingWindowRateLimiter(MemoryStorage())})
    return state


def count_failure(config_name: str, scope: str) -> int | None:
    """Count one failure of this client address; None while under the limit, else the seconds
    until the allowance returns."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    items = parse_many(current_app.config[config_name])
    identifiers = ("fail", scope, request.remote_addr or "-")
    state = _state()
    try:
        strategy = state["fallback"] if time.monotonic() < state["dead_until"] else limiter.limiter
        allowed = [strategy.hit(item, *identifiers) for item in items]
    except Exception:  # noqa: BLE001 - any storage error: the counter must never fail the request
        state["dead_until"] = time.monotonic() + RETRY_STORAGE_AFTER
        current_app.logger.warning("rate limit storage unreachable: counting failures in memory for %ss",
                                   int(RETRY_STORAGE_AFTER))
        strategy = state["fallback"]
        allowed = [strategy.hit(item, *identifiers) for item in items]
    if all(allowed):
        return None
    waits = [strategy.get_window_stats(item, *identifiers).reset_time - time.time()
             for item, ok in zip(items, allowed) if not ok]
    return max(1, int(max(waits)) + 1)


def limit_failures(config_name: str, failed: Callable[[Response], bool], scope: str | None = None):
    """Decorate a view: responses for which failed(response) is true count against the
    client address's allowance config[config_name]; beyond it they become 429."""

    def decorator(view: Callable[..., ResponseReturnValue]):
        name = scope or view.__name__

        @wraps(view)
        def wrapped(*args, **kwargs):
            response = current_app.make_response(view(*args, **kwargs))
            if failed(response):
                wait = count_failure(config_name, name)
                if wait is not None:
                    raise TooManyRequests(retry_after=wait)
            return response

        return wrapped

    return decorator


def status_in(*statuses: int) -> Callable[[Response], bool]:
    return lambda response: response.status_code in statuses


def refused_credential(response: Response) -> bool:
    """A JSON API refusal of the credential itself: an unknown, used or expired invitation, or a
    kiosk key that is not valid (not invalid answers, which a valid invitation may retry)."""
    if response.status_code not in (400, 403, 404, 409):
        return False
    body = response.get_json(silent=True) or {}
    fields = {e.get("field") for e in body.get("errors", []) if isinstance(e, dict)}
    return bool(fields & {"invitation", "X-Kiosk-Key", "agency"})


def redirected_to(path: str) -> Callable[[Response], bool]:
    """A redirect to `path` (e.g. the invitation link's 'unavailable' page)."""
    return lambda response: response.status_code in (301, 302, 303) and \
        urlsplit(response.location or "").path == path
