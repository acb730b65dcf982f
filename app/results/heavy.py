"""Expensive reads kept in their place: bounded caches that no one can flush, one computation at a time.

An agency account asking for many different breakdowns used to fill the results caches past
their size, which then emptied them whole: every official and the background refresh computed
again, and citizens' submissions in the same worker waited behind that work (35 ms → 1.3 s
median on 300,000 responses). Here a full cache forgets only its least recently used entry, and
a worker process computes at most one cold result at a time (others wait for it rather than run
beside it), so requests that need no computation — a submission, a cached page — keep their
share of the process. Nothing in a request lets a non-administrator empty a cache.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from typing import Any

from flask import g, has_request_context, request
from flask_limiter.util import get_remote_address

from app.accounts.access import current_user
from app.extensions import configured_limit, limiter


class LRU:
    """A dict-like cache of at most `size` entries, thread-safe, least recently used evicted first."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __getitem__(self, key: Hashable) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def pop(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            return self._items.pop(key, default)

    def keys(self) -> list:
        with self._lock:
            return list(self._items)

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """For tests and benchmarks (no request path calls it)."""
        with self._lock:
            self._items.clear()


_MISSING = object()
_slot = threading.BoundedSemaphore(1)
_depth = threading.local()


@contextmanager
def one_at_a_time():
    """Hold the process's computation slot (reentrant within a thread: a page's computation
    calls the estimates' computation)."""
    depth = getattr(_depth, "n", 0)
    if depth == 0:
        _slot.acquire()
    _depth.n = depth + 1
    try:
        yield
    finally:
        _depth.n = depth
        if depth == 0:
            _slot.release()


def computed(cache: LRU, key: Hashable, build: Callable[[], Any]) -> Any:
    """``cache[key]``, built under the computation slot when missing (and looked up again once the
    slot is ours: whoever held it may have built the same entry)."""
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    with one_at_a_time():
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            _mark_computed()
            value = build()
            cache[key] = value
    return value


def _mark_computed() -> None:

    if has_request_context():  # on the request itself: `g` may outlive it (an enclosing app context)
        request.environ["sipas.heavy_computed"] = True


def computed_in_request(_response=None) -> bool:
    """Flask-Limiter's `deduct_when`: only a request that computed something cold costs its
    account part of RATE_LIMIT_ESTIMATES. Reading figures already computed (the same page again,
    another official's view) is free, so a busy morning of officials is never refused; an account
    forcing one new breakdown after another is."""

    return bool(request.environ.get("sipas.heavy_computed"))


def limit_reads():
    """The decorator every expensive read carries: RATE_LIMIT_ESTIMATES per account, counted on
    cold computations only."""

    return limiter.limit(configured_limit("RATE_LIMIT_ESTIMATES"), key_func=reader_key,
                         deduct_when=computed_in_request)


def reader_key() -> str:
    """Rate-limit key of whoever asks for figures: the API token's account, the signed-in account,
    else the address (RATE_LIMIT_ESTIMATES bounds each account's expensive reads)."""


    user = getattr(g, "api_user", None) or current_user()
    return f"reader:{user.id}" if user is not None else f"address:{get_remote_address()}"
