"""The snapshot a view shows, and the newest waves' pages computed when a gunicorn worker starts.

Figures come from the roll-ups in the database (app.results.rollup): nothing is computed in the
background any more; a worker that starts renders the newest waves' pages once (warm_recent,
gunicorn.conf.py, WARM_DASHBOARD) so that the first official after a restart does not wait.
"""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Wave
from app.models.wave import WAVE_DRAFT
from app.reports import pages
from app.results import snapshot
from app.results.snapshot import Snapshot


def current(wave: Wave) -> Snapshot:
    """The snapshot a view shows (app.results.snapshot.current)."""
    return snapshot.current(wave)


def warm_recent(app, waves: int = 2) -> None:
    """Render the newest waves' pages (run in a thread when a gunicorn worker starts)."""
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
