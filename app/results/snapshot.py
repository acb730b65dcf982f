"""A wave's figures at one version of its roll-ups, and the one cache key recipe every computed
result uses.

Every figure comes from the wave's roll-ups (app.results.rollup, per-cell sums kept in the
database and shared by every process). ``current(wave)`` folds new responses into them at most
once per RESULTS_REFRESH_SECONDS per process (whichever instance gets there first does it; the
others find nothing left to add) and returns the snapshot of the version they are at: (the wave's
``data_version``, bumped by an administrator's change; the roll-ups' version, moved by every
change to a cell). Figures of a version are computed once per process from the cells, which are
small whatever the number of responses.

A ``Snapshot`` is handed down to everything below: no results module asks for a version again.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import Wave
from app.results import heavy, rollup

# Bounded caches (least recently used forgotten first: no request can empty them), keyed by
# Snapshot.key_of.
ESTIMATES = heavy.LRU(256)
FIGURES = heavy.LRU(512)

Version = tuple[int, int]  # (wave.data_version, the roll-ups' version)


VIEWS = ("reviewed", "collected")  # after integrity review (the default) / as collected


@dataclass(frozen=True, eq=False)
class Snapshot:
    wave: Wave
    version: Version
    # "collected": the figures with the responses an integrity review excluded added back
    # (app/review/integrity_review.py); every other exclusion (data cleaning) holds in both views.
    view: str = "reviewed"

    @property
    def key(self) -> tuple:
        """THE cache key of whatever is computed from the wave's data: wave, data version and
        the estimation settings."""
        base = (self.wave.id, self.version, self.wave.estimation.key())
        return base if self.view == "reviewed" else (*base, self.view)

    def key_of(self, name: str, *extra: Hashable) -> tuple:
        return (name, *self.key, *extra)

    def cached(self, name: str, build: Callable[[], Any], *extra: Hashable, store: heavy.LRU = FIGURES) -> Any:
        """Memoise ``build()`` for this snapshot (built under the worker's computation slot)."""
        return heavy.computed(store, self.key_of(name, *extra), build)


def cached_over(snapshots: Sequence[Snapshot], name: str, build: Callable[[], Any], *extra: Hashable) -> Any:
    """Memoise a result computed from several waves (the same recipe, one key per wave)."""
    return heavy.computed(FIGURES, (name, tuple(s.key for s in snapshots), *extra), build)


def forget_all() -> None:
    """For tests and benchmarks (no request path calls it)."""
    for store in (ESTIMATES, FIGURES):
        store.clear()


def current(wave: Wave, view: str = "reviewed") -> Snapshot:
    """The snapshot a request shows (see the module docstring)."""
    fold(wave)
    return Snapshot(wave, (wave.data_version, rollup.version(db.session, wave)), view)


def fold(wave: Wave, *, force: bool = False) -> None:
    """Add the wave's new responses to its roll-ups, in a transaction of its own, unless this
    process did so less than RESULTS_REFRESH_SECONDS ago or another instance is doing it now."""
    seconds = current_app.config["RESULTS_REFRESH_SECONDS"]
    checked = current_app.extensions.setdefault("sipas_rollup_checked", {})
    now = time.monotonic()
    if not force and seconds > 0 and now - checked.get(wave.id, -seconds) < seconds:
        return
    checked[wave.id] = now
    if not rollup.stale(db.session, wave):
        return
    done = rollup.in_own_transaction(db.engine, wave.id, lambda s, w: rollup.update_cells(s, w, wait=False),
                                     wait=False)
    if done is None:  # another instance is adding them; this request shows the cells as they are
        current_app.logger.info("roll-ups of wave %s: another transaction is updating them", wave.id)
