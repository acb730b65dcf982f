"""Checking pooled connections only when they may have gone stale.

SQLAlchemy's pool_pre_ping costs a round trip on every checkout, i.e. on every request. A
connection that was in use a moment ago is alive (or the request's first statement finds out, and
SQLAlchemy then invalidates the whole pool), so only connections idle for longer than
POOL_PING_AFTER_IDLE seconds are pinged: after a quiet night, a database restart or a failover,
the first request still gets a live connection.
"""
from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

CHECKED_IN = "sipas_checked_in_at"


def install(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info[CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        last = record.info.get(CHECKED_IN)
        if last is not None and time.monotonic() - last < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as error:  # any driver error: this connection is gone
            # The pool discards the connection and checks out (or opens) another one.
            raise exc.DisconnectionError(str(error)) from error
