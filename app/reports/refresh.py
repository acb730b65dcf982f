"""The figures of a new version, computed in the background: the top of the results stack.

While a wave collects, new responses change its live version every few seconds
(app.results.snapshot). Requests go on showing the version whose figures are ready while one
thread per wave computes the next one here: the wave's figures and its unfiltered page in each
language (pages.warm), so that the first official to see the new version computes nothing. A
starting gunicorn worker does the same for the newest waves (warm_recent, gunicorn.conf.py).

Importing this module registers the refresh with app.results.snapshot (the views import it for
``current``); without it every request would compute the live version itself.
"""
from __future__ import annotations

import threading

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Wave
from app.models.wave import WAVE_DRAFT
from app.reports import pages
from app.results import snapshot
from app.results.snapshot import Snapshot, Version

_lock = threading.Lock()


def current(wave: Wave) -> Snapshot:
    """The snapshot a view shows (app.results.snapshot.current): the figures that are ready."""
    return snapshot.current(wave)


def start(wave_id: int, version: Version) -> None:
    """Compute the wave's figures for `version` in a background thread (one per wave at a time)."""
    app = current_app._get_current_object()
    running = app.extensions.setdefault("sipas_refreshes", {})
    with _lock:
        thread = running.get(wave_id)
        if thread is not None and thread.is_alive():
            return
        thread = running[wave_id] = threading.Thread(target=_refresh, args=(app, wave_id, version),
                                                     name=f"sipas-refresh-{wave_id}", daemon=True)
        thread.start()


snapshot.when_stale(start)


def _refresh(app, wave_id: int, version: Version) -> None:
    with app.app_context():
        try:
            wave = db.session.get(Wave, wave_id)
            if wave is not None:
                pages.warm(Snapshot(wave, version))  # exactly the version it was started for
            snapshot.ready(app, wave_id, version)
        except Exception:  # the pages go on showing the last computed figures
            app.logger.exception("background refresh of wave %s failed", wave_id)
        finally:
            db.session.remove()


def wait_for_refresh(wave: Wave, timeout: float = 120.0) -> None:
    """Wait for the wave's background refresh, if one is running (tests, the benchmark)."""
    thread = current_app.extensions.get("sipas_refreshes", {}).get(wave.id)
    if thread is not None:
        thread.join(timeout)


def warm_recent(app, waves: int = 2) -> None:
    """Compute the newest waves' figures and pages (run in a thread when a gunicorn worker starts,
    see gunicorn.conf.py), so that the first official after a restart does not wait for them."""
    with app.app_context():
        try:
            recent = db.session.scalars(select(Wave).where(Wave.status != WAVE_DRAFT)
                                        .order_by(Wave.period_start.desc(), Wave.id.desc()).limit(waves))
            for wave in recent:
                pages.warm(current(wave))
        except Exception:  # the pages compute what is missing when they are asked for it
            app.logger.exception("warming the dashboard failed")
        finally:
            db.session.remove()
