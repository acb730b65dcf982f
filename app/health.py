"""`GET /healthz` ⚑: 200 while the database answers (503 when it does not); with REDIS_URL set
it also says whether Redis answers. Redis down is still 200: limits then count in memory and the
service keeps working."""
from __future__ import annotations

from flask import Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db


def redis_state() -> str:
    """'ok' or 'down', within the configured short timeout."""
    import redis  # optional: only deployments with REDIS_URL ask

    timeout = float(current_app.config["REDIS_TIMEOUT_SECONDS"])
    try:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=timeout,
                                      socket_connect_timeout=timeout)
        try:
            return "ok" if client.ping() else "down"
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return "down"


def healthz():

    extra = {"redis": redis_state()} if current_app.config.get("REDIS_URL") else {}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable", **extra), 503
    return jsonify(status="ok", database="ok", **extra)


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz)
