"""What the outbox holds: counts per channel × status, which channels can send, recent failures
(for `flask outbox status` and the administrator's outbox page). Never an address or a text."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxMessage
from app.models.outbox import MESSAGE_CHANNELS, MESSAGE_STATUSES
from app.outbox.adapters import missing_settings


@dataclass(frozen=True)
class ChannelState:
    channel: str
    missing: list[str]  # settings still needed; empty: the channel sends
    counts: dict[str, int]  # status → messages

    @property
    def configured(self) -> bool:
        return not self.missing


def overview(config: Mapping[str, Any]) -> list[ChannelState]:
    rows = db.session.execute(select(OutboxMessage.channel, OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.channel, OutboxMessage.status)).all()
    counts = {(channel, status): n for channel, status, n in rows}
    return [ChannelState(channel=channel, missing=missing_settings(channel, config),
                         counts={status: counts.get((channel, status), 0) for status in MESSAGE_STATUSES})
            for channel in MESSAGE_CHANNELS]


def recent_failures(limit: int = 20) -> list[OutboxMessage]:
    """The latest failed messages and the ones waiting for a retry after an error (last_error has no address)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.last_error.is_not(None),
                                    OutboxMessage.status.in_(("failed", "queued")))
        .order_by(OutboxMessage.id.desc()).limit(limit)))
