"""Case messages through the outbox (issue 17 × 18). `flask outbox run` calls queue_due."""
from __future__ import annotations

from datetime import datetime


def queue_due(now: datetime | None = None) -> int:
    """Queue deadline reminders to staff and the weekly digests that are due; returns how many."""
    return 0
