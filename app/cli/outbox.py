"""`flask outbox run` (the sending worker) and `flask outbox status`.

Run the worker as a service (deploy/sipas-outbox.service, or the container command
`flask --app app outbox run`): it queues what is due (invitation reminders, case reminders and
digests), then sends due messages, every OUTBOX_POLL_SECONDS. SIGTERM lets the message being
sent finish, then the worker exits. `--once` does one pass (cron, tests).
"""
from __future__ import annotations

import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup

from app.cases import notices
from app.extensions import db
from app.outbox import status as outbox_status
from app.outbox import worker
from app.reach import reminders

group = AppGroup("outbox", help="The delivery outbox: send queued e-mail, SMS and Zalo messages.")


class _Stop:
    requested = False

    def __call__(self) -> bool:
        return self.requested


_stop = _Stop()


def one_pass(limit: int) -> str:
    """Queue what is due, send up to ``limit`` messages; the one-line summary."""
    queued = 0
    for producer in (reminders.queue_due, notices.queue_due):
        try:
            queued += producer()
            db.session.commit()
        except Exception:  # one producer's bug must not stop the sending
            db.session.rollback()
            current_app.logger.exception("outbox: %s.queue_due failed", producer.__module__)
    counts = worker.send_due(limit, should_stop=_stop)
    waiting = [s.channel for s in outbox_status.overview(current_app.config)
               if not s.configured and s.counts["queued"]]
    line = (f"queued {queued}, sent {counts['sent']}, retry later {counts['retry']}, failed {counts['failed']}, "
            f"cancelled {counts['cancelled']}")
    if waiting:
        line += f"; not configured, waiting: {', '.join(waiting)}"
    return line


@group.command("run")
@click.option("--once", is_flag=True, help="one pass, then exit (cron, tests)")
@click.option("--limit", type=click.IntRange(1, 100000), default=500, show_default=True,
              help="at most this many messages per pass")
def run(once: bool, limit: int) -> None:
    """Send queued messages; loop until SIGTERM (or one pass with --once)."""
    _stop.requested = False

    def _terminate(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
        _stop.requested = True

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        while True:
            try:
                click.echo(one_pass(limit))
            except Exception:  # the database went away, say: log, wait, try again (--once: fail)
                db.session.rollback()
                if once:
                    raise
                current_app.logger.exception("outbox: a pass failed; trying again after the poll interval")
            if once or _stop.requested:
                break
            deadline = time.monotonic() + float(current_app.config["OUTBOX_POLL_SECONDS"])
            while time.monotonic() < deadline and not _stop.requested:
                time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
            if _stop.requested:
                break
    finally:
        signal.signal(signal.SIGTERM, previous)
        db.session.remove()


@group.command("status")
def show_status() -> None:
    """Messages per channel and status, and which channels can send."""
    for state in outbox_status.overview(current_app.config):
        counts = ", ".join(f"{name} {n}" for name, n in state.counts.items() if n) or "no messages"
        how = "configured" if state.configured else f"NOT configured (set {', '.join(state.missing)}): messages wait"
        click.echo(f"{state.channel}: {how}; {counts}")
    for message in outbox_status.recent_failures(10):
        click.echo(f"  #{message.id} {message.channel} {message.kind} {message.status} "
                   f"after {message.attempts} attempt(s): {message.last_error}")
