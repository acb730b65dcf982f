"""The sending side of the outbox: claim a due message, send it through its channel's adapter,
record the outcome. Runs in `flask outbox run` (never on a request's path).

Claiming is one conditional UPDATE per message (queued and due, or "sending" whose worker's lease
ran out), committed before anything is sent: only the worker whose UPDATE changed the row sends
it, so two workers (threads, processes, machines) never send a message twice. A worker killed
while sending leaves the message claimed until its lease (OUTBOX_LEASE_SECONDS) ends; then
another worker takes it again (the provider's deduplication on our reference, or the e-mail's
Message-ID, recognise the copy if the first attempt had gone through).
"""
from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, or_, select, update

from app.extensions import db
from app.models import OptOut, OutboxMessage
from app.models.base import utcnow
from app.outbox import addresses
from app.outbox.adapters import adapter_for, configured_channels
from app.outbox.outcome import SendFailure, Sent, scrub
from app.outbox.queue import Content, content_of
from app.shared import sealed

log = logging.getLogger("app.outbox")
MAX_BACKOFF = timedelta(hours=6)
OPT_OUT_KINDS = ("invitation", "reminder")
_told_unconfigured: set[str] = set()
UNSEAL_ERROR = ("the content cannot be unsealed with this worker's key: give the worker the web application's "
                "SECRET_KEY (or CASE_CONTACT_KEY)")


def _due(now: datetime):
    return or_(and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now))


def _tell_unconfigured(config) -> None:
    for channel in ("email", "sms", "zalo"):
        if channel not in configured_channels(config) and channel not in _told_unconfigured:
            waiting = db.session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.channel == channel, OutboxMessage.status == "queued").limit(1))
            if waiting is not None:
                _told_unconfigured.add(channel)
                log.warning("outbox: %s messages are waiting: the %s channel is not configured", channel, channel)


def claim(message_id: int, now: datetime, lease_seconds: float) -> bool:
    """Take one message for this worker (committed). False: another worker has it, or it is not due."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(status="sending", claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def backoff(attempts: int, base_seconds: float, jitter: float = 0.0) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: base × 2^(attempts-1), ≤ 6 h."""
    seconds = base_seconds * 2 ** min(max(attempts - 1, 0), 30)
    delay = min(timedelta(seconds=seconds), MAX_BACKOFF)
    return delay * (1 + random.uniform(0, jitter)) if jitter else delay  # nosec B311 - spreading retries


def _opted_out(message: OutboxMessage, content: Content) -> bool:
    if message.kind not in OPT_OUT_KINDS:
        return False
    try:
        digest = addresses.digest(message.channel, content.to)
    except ValueError:
        return False  # an address no normal form fits: the provider will refuse it
    wave = or_(OptOut.wave_id.is_(None), OptOut.wave_id == message.wave_id) if message.wave_id else \
        OptOut.wave_id.is_(None)
    return db.session.scalar(select(OptOut.id).where(OptOut.address_digest == digest, wave).limit(1)) is not None


def _finish(message_id: int, **values) -> None:
    """Record the outcome of our claim (only while we still hold it: status sending)."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id,
                                                   OutboxMessage.status == "sending")
                       .values(claimed_until=None, **values).execution_options(synchronize_session=False))
    db.session.commit()


def _sent(message_id: int, sent: Sent, now: datetime) -> None:
    # A delivery callback may have come first (the provider was quicker than our commit): keep its status.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status=case((OutboxMessage.status == "sending", "sent"), else_=OutboxMessage.status),
        sent_at=now, provider=sent.provider, provider_message_id=sent.provider_message_id,
        sealed=None, claimed_until=None, last_error=None).execution_options(synchronize_session=False))
    db.session.commit()


def _attempt_failed(message: OutboxMessage, now: datetime, config, error: str, temporary: bool) -> str:
    if temporary and message.attempts < int(config["OUTBOX_MAX_ATTEMPTS"]):
        delay = backoff(message.attempts, float(config["OUTBOX_BACKOFF_SECONDS"]),
                        float(config.get("OUTBOX_BACKOFF_JITTER", 0.0)))
        _finish(message.id, status="queued", next_attempt_at=now + delay, last_error=error)
        log.info("outbox: message %s (%s) attempt %s failed, retry in %ss: %s", message.id, message.channel,
                 message.attempts, int(delay.total_seconds()), error)
        return "retry"
    _finish(message.id, status="failed", sealed=None, last_error=error)
    log.warning("outbox: message %s (%s) failed after %s attempt(s): %s", message.id, message.channel,
                message.attempts, error)
    return "failed"


def send_one(message: OutboxMessage, now: datetime, config) -> str:
    """Send a message this worker has claimed; returns the outcome: sent, retry, failed, cancelled."""
    try:
        content = content_of(message)
    except sealed.UnsealError:  # this worker's key is not the web application's: keep the message
        return _attempt_failed(message, now, config, UNSEAL_ERROR, temporary=True)
    if content is None:  # dropped meanwhile (delivered according to the provider, wave closed)
        _finish(message.id, status="cancelled")
        return "cancelled"
    if _opted_out(message, content):
        _finish(message.id, status="cancelled", sealed=None, last_error="opted out before sending")
        return "cancelled"
    adapter = adapter_for(message.channel, config)
    if adapter is None:  # the setting went away between claim and send: back in the queue, untried
        _finish(message.id, status="queued", attempts=message.attempts - 1)
        return "waiting"
    try:
        sent = adapter(message.id, message.kind, content, config)
    except SendFailure as exc:
        return _attempt_failed(message, now, config, scrub(str(exc), content.to), exc.temporary)
    except Exception as exc:  # noqa: BLE001 - an adapter's bug must not stop the worker (its text may hold the address)
        log.error("outbox: message %s (%s): unexpected %s", message.id, message.channel, type(exc).__name__)
        return _attempt_failed(message, now, config, f"unexpected error: {type(exc).__name__}", temporary=True)
    _sent(message.id, sent, now)
    return "sent"


def send_due(limit: int = 100, now: datetime | None = None,
             should_stop: Callable[[], bool] | None = None) -> Counter:
    """Send up to ``limit`` due messages of the configured channels, oldest first; counts of outcomes
    (sent, retry, failed, cancelled).

    ``now`` fixes the time (tests); otherwise each message is claimed at the current time.
    ``should_stop`` is asked between messages (SIGTERM: finish the current one, then stop)."""
    config = current_app.config
    counts: Counter = Counter()
    channels = configured_channels(config)
    _tell_unconfigured(config)
    if not channels:
        return counts
    lease = float(config["OUTBOX_LEASE_SECONDS"])
    tick = (lambda: now) if now is not None else utcnow
    after = 0  # each message at most once per pass, however many other workers take
    while counts.total() < limit and not (should_stop and should_stop()):
        moment = tick()
        ids = db.session.scalars(
            select(OutboxMessage.id).where(_due(moment), OutboxMessage.channel.in_(channels), OutboxMessage.id > after)
            .order_by(OutboxMessage.id).limit(20)).all()
        db.session.commit()  # end the read: SQLite takes its write lock only in claim()
        if not ids:
            break
        for message_id in ids:
            if counts.total() >= limit or (should_stop and should_stop()):
                break
            after = message_id
            if not claim(message_id, moment, lease):
                continue  # another worker has it
            message = db.session.get(OutboxMessage, message_id, populate_existing=True)
            counts[send_one(message, moment, config)] += 1
            moment = tick()
    return counts
