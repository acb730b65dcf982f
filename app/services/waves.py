from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Wave
from app.models.wave import WAVE_OPEN


def open_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).where(Wave.status == WAVE_OPEN).order_by(Wave.period_start.desc())))


def get_wave(slug: str) -> Wave | None:
    return db.session.scalar(select(Wave).where(Wave.slug == slug))
