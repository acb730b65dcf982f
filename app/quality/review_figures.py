"""Figures "as collected" beside the figures "after review" (issue 19), where an integrity review
excluded responses: the dashboard shows both for the units whose figure differs, and the
methodology page says what review excluded and why."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Response, Wave
from app.results import estimates, snapshot
from app.results.rolled import INTEGRITY_EXCLUSION
from app.review import integrity_review


def excluded_by_review(wave: Wave) -> int:
    return db.session.scalar(select(func.count(Response.id)).where(
        Response.wave_id == wave.id, Response.excluded.is_(True),
        Response.exclusion_reason.like(f"{INTEGRITY_EXCLUSION}%"))) or 0


def section(wave: Wave) -> dict | None:
    """The overall satisfaction per unit in both views, for the units where they differ (figures
    below the anonymity threshold stay suppressed in both); None when review excluded nothing."""
    excluded = excluded_by_review(wave)
    if not excluded:
        return None
    reviewed = estimates.protected(snapshot.current(wave), ["agency"])
    collected = estimates.protected(snapshot.current(wave, "collected"), ["agency"])
    pick = lambda t: {r["agency"]: r for r in t[t["measure"] == "overall"].to_dict(orient="records")}  # noqa: E731
    after, before = pick(reviewed), pick(collected)
    rows = []
    for code in sorted(set(after) | set(before)):
        a, b = after.get(code), before.get(code)
        if a is None or b is None or a.get("n") != b.get("n") or a.get("rate") != b.get("rate"):
            rows.append({"agency": code, "reviewed": a, "collected": b})
    return {"excluded": excluded, "rows": rows, "reasons": integrity_review.excluded_summary(wave)}
