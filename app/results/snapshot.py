"""A wave's data at one version, and the one cache key recipe every computed result uses.

``current(wave)`` is the only place a version is resolved. Everything an administrator changes
(exclusions, frame counts, imports) bumps ``wave.data_version``, and figures are recomputed at
once. New responses are counted (count and last id, which also catches a lower id committed late)
at most RESULTS_REFRESH_SECONDS late; while a wave collects they change the version every few
seconds, and a million-response wave takes seconds to recompute. So when only new responses
differ, pages keep the version whose figures are computed while the next one is computed in the
background (app.reports.refresh registers that with ``when_stale``); the version moves on when it
is ``ready``. With RESULTS_REFRESH_SECONDS = 0 (tests) every view uses the live version.

A ``Snapshot`` is handed down to everything below: no results module asks for a version again,
and the background refresh builds ``Snapshot(wave, next_version)`` itself.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Response, Wave
from app.results import heavy, table

# Bounded caches (least recently used forgotten first: no request can empty them), all keyed by
# Snapshot.key_of. A million-response table is hundreds of MB: a few waves' tables in all.
TABLES = heavy.LRU(8)
ESTIMATES = heavy.LRU(256)
FIGURES = heavy.LRU(512)

Version = tuple[int, int, int]  # (wave.data_version, responses counted, last response id)


@dataclass(frozen=True, eq=False)
class Snapshot:
    wave: Wave
    version: Version

    @property
    def key(self) -> tuple:
        """THE cache key of whatever is computed from the wave's data: wave, data version and
        the estimation settings."""
        return (self.wave.id, self.version, self.wave.estimation.key())

    def key_of(self, name: str, *extra: Hashable, settings: bool = True) -> tuple:
        """``(name, *key, *extra)``; without ``settings`` for what the estimation settings do not
        change (the respondent table read from the database), so that changing them does not
        read a million responses again."""
        return (name, *(self.key if settings else self.key[:2]), *extra)

    def cached(self, name: str, build: Callable[[], Any], *extra: Hashable, store: heavy.LRU = FIGURES) -> Any:
        """Memoise ``build()`` for this snapshot (built under the worker's computation slot)."""
        return heavy.computed(store, self.key_of(name, *extra), build)

    def table(self, codes: Sequence[str] | None = None, *, include_excluded: bool = False) -> pd.DataFrame:
        """One row per response (app.results.table), read once per snapshot and shared by every
        estimate, filter and page of the wave; a question asked for the first time is read then."""
        key = self.key_of("table", include_excluded, settings=False)
        full = TABLES.get(key)
        if full is None:
            full = table.load(self.wave, include_excluded)
            # keep the newest two versions of a wave (the one pages show and the one a refresh
            # computes); the least recently used wave's table goes when more than 8 are kept
            same = [k for k in TABLES if k[1] == self.wave.id and k[-1] == include_excluded]
            for old in same[:-1]:
                TABLES.pop(old, None)
            TABLES[key] = full
        wanted = table.wanted_codes(self.wave, codes)
        wider = table.widen(full, self.wave, wanted, include_excluded)
        if wider is not full and key in TABLES:
            TABLES[key] = wider
        return table.pick(wider, wanted)


def cached_over(snapshots: Sequence[Snapshot], name: str, build: Callable[[], Any], *extra: Hashable) -> Any:
    """Memoise a result computed from several waves (the same recipe, one key per wave)."""
    return heavy.computed(FIGURES, (name, tuple(s.key for s in snapshots), *extra), build)


def forget_all() -> None:
    """For tests and benchmarks (no request path calls it)."""
    for store in (TABLES, ESTIMATES, FIGURES):
        store.clear()


_when_stale: list[Callable[[int, Version], None]] = []


def when_stale(start: Callable[[int, Version], None]) -> None:
    """Register what computes a newer version in the background (app.reports.refresh)."""
    _when_stale[:] = [start]


def current(wave: Wave) -> Snapshot:
    """The snapshot a request shows (see the module docstring)."""
    live = _live_version(wave)
    if current_app.config["RESULTS_REFRESH_SECONDS"] <= 0:
        return Snapshot(wave, live)
    ready = current_app.extensions.setdefault("sipas_ready_versions", {})
    shown = ready.get(wave.id)
    if shown is None or shown[0] != live[0] or not _when_stale:  # first view, or an administrator's change: now
        ready[wave.id] = shown = live
    elif shown != live:
        _when_stale[0](wave.id, live)
    return Snapshot(wave, shown)


def ready(app, wave_id: int, version: Version) -> None:
    """The figures of ``version`` are computed: requests show them from now on (unless an
    administrator changed the wave meanwhile)."""
    shown = app.extensions.setdefault("sipas_ready_versions", {})
    if shown.get(wave_id, version)[0] == version[0]:
        shown[wave_id] = version


def _live_version(wave: Wave) -> Version:
    seconds = current_app.config["RESULTS_REFRESH_SECONDS"]
    counted = current_app.extensions.setdefault("sipas_response_counts", {})
    now = time.monotonic()
    seen = counted.get(wave.id)
    if seen is None or now - seen[0] >= seconds:
        # Two statements, so that each has its cheap plan: count(*) from the (wave, agency) index
        # alone, max(id) from the end of the primary key. Together they would scan the table.
        of_wave = Response.wave_id == wave.id
        count, last = db.session.execute(select(select(func.count()).select_from(Response).where(of_wave)
                                                .scalar_subquery(),
                                                select(func.max(Response.id)).where(of_wave).scalar_subquery())).one()
        counted[wave.id] = seen = (now, count or 0, last or 0)
    return wave.data_version, seen[1], seen[2]
