"""A wave's Excel export as a background job with progress, for the administrator's download.

Excel takes seconds for a large wave (about 9 s for 20,000 responses; CSV and SPSS well under one),
and a request that long shows nothing and risks gunicorn's worker timeout. So the export page
starts a job: a thread writes the file into the instance folder and its progress into a small JSON
file beside it, and a page that refreshes itself (no JavaScript) shows the rows written until the
file is ready to download. Files, not memory: the next refresh may reach another gunicorn worker.
A job whose progress has not moved for STALE_SECONDS (its worker was restarted) is reported as
failed; files older than KEEP_SECONDS are deleted when the next job starts.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from pathlib import Path

from flask import current_app

from app.extensions import db
from app.models import Wave
from app.review import exchange

KEEP_SECONDS = 3600
STALE_SECONDS = 120
_JOB = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write(folder: Path, job: str, state: dict) -> None:
    part = folder / f"{job}.json.part"
    part.write_text(json.dumps({**state, "updated": time.time()}), encoding="utf-8")
    os.replace(part, folder / f"{job}.json")  # a reader never sees half a file


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def start(wave: Wave, fmt: str, user_id: int) -> str:
    """Start writing the wave's export in a thread; returns the job's id (random, unguessable)."""
    folder = _folder()
    _sweep(folder)
    job = secrets.token_urlsafe(16)
    state = {"user": user_id, "wave": wave.slug, "format": fmt, "done": 0, "total": 0, "state": "running"}
    _write(folder, job, state)
    app = current_app._get_current_object()
    threading.Thread(target=_run, args=(app, folder, job, wave.id, state), name=f"export-{job[:6]}",
                     daemon=True).start()
    return job


def _run(app, folder: Path, job: str, wave_id: int, state: dict) -> None:

    with app.app_context():
        try:
            def progress(done: int, total: int) -> None:
                _write(folder, job, {**state, "done": done, "total": total})

            data, _warnings = exchange.export_file(db.session.get(Wave, wave_id), state["format"], progress)
            (folder / f"{job}.part").write_bytes(data)
            os.replace(folder / f"{job}.part", folder / f"{job}.{state['format']}")
            total = _read(folder, job).get("total", 0)
            _write(folder, job, {**state, "done": total, "total": total, "state": "done"})
        except Exception:  # the page says it failed; the log has why
            app.logger.exception("export job %s failed", job)
            _write(folder, job, {**state, "state": "failed"})
        finally:
            db.session.remove()


def _read(folder: Path, job: str) -> dict:
    try:
        return json.loads((folder / f"{job}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def status(job: str, user_id: int) -> dict | None:
    """The job's state (running, done, failed), rows written and in all; None if there is no such
    job or another administrator started it."""
    if not _JOB.match(job):
        return None
    state = _read(_folder(), job)
    if not state or state.get("user") != user_id:
        return None
    if state["state"] == "running" and time.time() - state["updated"] > STALE_SECONDS:
        state["state"] = "failed"
    return state


def result(job: str, state: dict) -> bytes | None:
    try:
        return (_folder() / f"{job}.{state['format']}").read_bytes()
    except OSError:
        return None
