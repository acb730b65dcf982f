"""Invitation reminders (issue 18). Filled in by the sending work; `flask outbox run` calls queue_due."""
from __future__ import annotations

from datetime import datetime


def queue_due(now: datetime | None = None) -> int:
    """Queue the reminders that are due; returns how many were queued."""
    return 0
