"""Layered configuration: defaults → instance/config.py → environment → test mapping.

Settings are read when the app is created, never at import time.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    # Pooled connections idle for longer than this are pinged before use (app/dbpool.py).
    "POOL_PING_AFTER_IDLE": 5.0,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ("vi", "en"),
    # Citizens' and API bodies are capped at 64 KB (app/security.py); administrators upload
    # agency lists, dossier lists and XLSForm files up to this size.
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "MAX_SUBMISSION_BYTES": 64 * 1024,
    "INVITATION_DAYS": 30,
    # Argon2id cost of password hashes (argon2-cffi's defaults, RFC 9106's low-memory profile:
    # 3 passes over 64 MiB); the test suite lowers it to keep its thousand logins quick.
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_KIB": 65536,
    "API_TOKEN_HOURS": 12,  # nosec B105 - a lifetime in hours, not a secret
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    "MIN_GROUP_SIZE": 10,
    # Feedback cases (app/cases/figures.py): the on-time share a unit should reach (the manager's
    # page lists the units below it), and the points of Decision 766's PAKN parts. The official
    # split inside the 18-point satisfaction group is not confirmed: a configurable default.
    "CASE_ON_TIME_TARGET": 0.9,
    "CASE_D766_POINTS": {"classification": 3.0, "on_time": 3.0, "satisfaction": 3.0},
    # New responses reach cached figures at most this late (app/results/snapshot.py).
    "RESULTS_REFRESH_SECONDS": 10.0,
    "RATELIMIT_STORAGE_URI": "memory://",
    # A moving window: N per minute means N in any 60 seconds, so a client cannot send 2N across
    # the turn of a minute as a fixed window allows (app/throttle.py counts failures the same way).
    "RATELIMIT_STRATEGY": "moving-window",
    # Redis down or hung: limits go on in each process's memory (with a logged warning) instead
    # of failing the request; storage calls give up quickly (see _storage_options).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "REDIS_TIMEOUT_SECONDS": 0.3,
    # Number of reverse proxies in front (0: the connecting address is the client's and
    # X-Forwarded-For is ignored, so it cannot be spoofed).
    "TRUSTED_PROXIES": 0,
    # Per client address, counting only what an attacker needs: unknown, used or expired
    # invitation tokens, bad kiosk keys (app/throttle.py). A valid invitation or kiosk key is its
    # own credential and is never refused, however many citizens share one address.
    "RATE_LIMIT_SUBMIT": "60/minute;2000/hour",
    "RATE_LIMIT_LOGIN": "30/minute",
    "RATE_LIMIT_TOKEN": "10/minute",  # nosec B105 - a rate limit, not a secret
    "RATE_LIMIT_INTEGRATION": "300/minute",  # per integration key (app/collect/issuing.py)
    # Separation of duties (app/collect/issuing.py): caps and per-account limits on whatever
    # creates responses or the means to create them.
    "MAX_INVITATIONS_PER_BATCH": 1000,
    "MAX_QR_PER_SHEET": 500,  # a QR code takes ~7 ms to draw: a sheet stays well under a worker's timeout
    "API_KEY_DAILY_INVITATIONS": 5000,
    "RATE_LIMIT_ISSUE": "30/hour",
    "RATE_LIMIT_PAPER": "10/minute;300/hour",
    # Per account, on the dashboard, exports and API estimates (app/results/heavy.py).
    "RATE_LIMIT_ESTIMATES": "30/minute;300/hour",
    "RATELIMIT_HEADERS_ENABLED": True,
    "SESSION_COOKIE_HTTPONLY": True,
    # Outside debug and testing the cookie is Secure and HSTS is sent (configure() decides).
    "SESSION_COOKIE_SECURE": None,
    "HSTS_ENABLED": None,
    "HSTS_SECONDS": 365 * 24 * 3600,
    # A login session ends after this much inactivity or this long after login, whichever first.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "PASSWORD_RESET_HOURS": 24,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Feedback cases (app/cases): deadlines in working days on the calendar of app/cases/calendar.py.
    "CASE_DAYS_HANDLE": 15,  # to answer a case
    "CASE_DAYS_REFUSE": 2,  # to refuse one as out of scope, counted from its opening
    "CASE_DAYS_DOCUMENTS": 5,  # added to the deadline when the unit asks for more documents
    "CASE_REOPEN_DAYS": 10,  # the citizen may reopen an answered case this long after the answer
    "CASE_CONTACT_RETENTION_DAYS": 30,  # calendar days after closing, then the contact is deleted
    "CASE_REMIND_DAYS": 2,  # `flask cases remind`: cases due within this many working days
    # The delivery outbox (app/outbox/, issue 18). Unset adapters: messages of that channel stay
    # queued (and the admin pages say so). SMTP_URL: smtp://user:pass@host:587?starttls=1 (or
    # smtps://… for implicit TLS); SMS_GATEWAY_URL: a generic HTTP gateway taking JSON
    # {to, text, reference}; ZALO_ZNS_URL + ZALO_ZNS_TOKEN: Zalo template messages, whose
    # pre-approved template ids are ZALO_ZNS_TEMPLATES[kind].
    "SMTP_URL": None,
    "MAIL_FROM": "SIPAS <no-reply@localhost>",
    "SMS_GATEWAY_URL": None,
    "SMS_GATEWAY_TOKEN": None,
    "ZALO_ZNS_URL": None,
    "ZALO_ZNS_TOKEN": None,
    "ZALO_ZNS_TEMPLATES": {},
    "OUTBOX_MAX_ATTEMPTS": 8,  # then the message is failed
    "OUTBOX_BACKOFF_SECONDS": 60,  # first retry after this, doubling each time (capped at 6 h)
    "OUTBOX_TIMEOUT_SECONDS": 10.0,  # per provider call
    "OUTBOX_LEASE_SECONDS": 120,  # a claimed message is retried if its worker died holding it
    "OUTBOX_POLL_SECONDS": 5.0,
    "OUTBOX_BACKOFF_JITTER": 0.0,  # up to this share of a retry's wait added at random (0: none)
    # Providers' delivery reports (POST /api/v1/delivery/<provider>): HMAC-SHA256 of the body
    # with this secret, per provider name, or DELIVERY_WEBHOOK_SECRET for all.
    "DELIVERY_WEBHOOK_SECRET": None,
    "DELIVERY_WEBHOOK_SECRETS": {},
    "INVITATION_REMINDER_DAYS": 7,  # one reminder this many days after an unanswered invitation
    # A figure whose agency answered below this response rate (completed / issued) is marked fragile.
    "FRAGILE_RESPONSE_RATE": 0.2,
    # Integrity checks (app/review/integrity.py, issue 19): flags are reasons to look, never to drop.
    "INTEGRITY_BURST_COUNT": 10,  # this many submissions from one kiosk key, keyer or address …
    "INTEGRITY_BURST_MINUTES": 5,  # … within this many minutes
    "INTEGRITY_SPEED_FRACTION": 0.33,  # faster than this share of the channel's median duration
    "INTEGRITY_MIN_ITEMS": 6,  # scale answers needed before a pattern (straight line) counts
    "INTEGRITY_MIN_IRV": 0.35,  # standard deviation of one respondent's answers below this: low variability
    "INTEGRITY_OPENING_HOURS": "07:00-17:30",  # kiosks: local opening hours on working days
    "INTEGRITY_SATURDAY_HOURS": "07:30-11:30",  # "" when desks are closed on Saturdays
    "INTEGRITY_COMMENT_MIN_CHARS": 40,  # shorter comments ("Cán bộ nhiệt tình, chu đáo.") repeat honestly
    "INTEGRITY_UNIT_Z": 3.0,  # a unit's top-answer share this many standard errors off is flagged
    # Units with fewer answers than this get their empirical-Bayes estimate shown beside the direct
    # one (app/quality/small_units.py, issue 20).
    "EB_SMALL_N": 100,
    "CASE_CONTACT_KEY": None,  # Fernet key sealing contacts; None: derived from SECRET_KEY (app/shared/sealed.py)
}

CASE_SETTINGS = ("CASE_DAYS_HANDLE", "CASE_DAYS_REFUSE", "CASE_DAYS_DOCUMENTS", "CASE_REOPEN_DAYS",
                 "CASE_CONTACT_RETENTION_DAYS", "CASE_REMIND_DAYS")


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


OUTBOX_STRINGS = ("SMTP_URL", "MAIL_FROM", "SMS_GATEWAY_URL", "SMS_GATEWAY_TOKEN", "ZALO_ZNS_URL", "ZALO_ZNS_TOKEN",
                  "DELIVERY_WEBHOOK_SECRET")
OUTBOX_NUMBERS = ("OUTBOX_MAX_ATTEMPTS", "OUTBOX_BACKOFF_SECONDS", "OUTBOX_LEASE_SECONDS", "INVITATION_REMINDER_DAYS")
OUTBOX_SECONDS = ("OUTBOX_TIMEOUT_SECONDS", "OUTBOX_POLL_SECONDS", "OUTBOX_BACKOFF_JITTER")


def outbox_from_environment() -> dict[str, Any]:
    """The outbox's settings (issue 18); ZALO_ZNS_TEMPLATE_<KIND> and DELIVERY_WEBHOOK_SECRET_<PROVIDER>
    fill the two dictionaries."""
    out: dict[str, Any] = {name: env_str(name) for name in OUTBOX_STRINGS if env_str(name)}
    for name in OUTBOX_NUMBERS:
        if env_str(name):
            try:
                out[name] = int(env_str(name))
            except ValueError:
                raise RuntimeError(f"{name} must be a whole number") from None
    for name in OUTBOX_SECONDS:
        if env_str(name):
            try:
                out[name] = float(env_str(name))
            except ValueError:
                raise RuntimeError(f"{name} must be a number of seconds") from None
    templates = {key[len("ZALO_ZNS_TEMPLATE_"):].lower(): value for key, value in os.environ.items()
                 if key.startswith("ZALO_ZNS_TEMPLATE_") and value.strip()}
    if templates:
        out["ZALO_ZNS_TEMPLATES"] = templates
    secrets_by_provider = {key[len("DELIVERY_WEBHOOK_SECRET_"):].lower(): value for key, value in os.environ.items()
                           if key.startswith("DELIVERY_WEBHOOK_SECRET_") and value.strip()}
    if secrets_by_provider:
        out["DELIVERY_WEBHOOK_SECRETS"] = secrets_by_provider
    return out


def from_environment(instance_path: str) -> dict[str, Any]:
    """The settings that production takes from environment variables."""
    out: dict[str, Any] = {}
    db_url = env_str("DATABASE_URL")
    if db_url:
        # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
        for old in ("postgres://", "postgresql://"):
            if db_url.startswith(old):
                db_url = "postgresql+psycopg://" + db_url[len(old):]
        out["SQLALCHEMY_DATABASE_URI"] = db_url
    if env_str("SECRET_KEY"):
        out["SECRET_KEY"] = env_str("SECRET_KEY")
    if env_str("REDIS_URL"):
        out["REDIS_URL"] = env_str("REDIS_URL")
        out["RATELIMIT_STORAGE_URI"] = env_str("REDIS_URL")
    for name in ("RATE_LIMIT_SUBMIT", "RATE_LIMIT_LOGIN", "RATE_LIMIT_TOKEN", "RATE_LIMIT_INTEGRATION",
                 "RATE_LIMIT_ISSUE", "RATE_LIMIT_PAPER", "RATE_LIMIT_ESTIMATES"):
        if env_str(name):
            out[name] = env_str(name)
    for name in CASE_SETTINGS:
        if env_str(name):
            try:
                out[name] = int(env_str(name))
            except ValueError:
                raise RuntimeError(f"{name} must be a whole number of days") from None
    if env_str("CASE_CONTACT_KEY"):
        out["CASE_CONTACT_KEY"] = env_str("CASE_CONTACT_KEY")
    out.update(outbox_from_environment())
    if env_str("PUBLIC_BASE_URL"):
        out["PUBLIC_BASE_URL"] = env_str("PUBLIC_BASE_URL").rstrip("/")
    if env_str("SESSION_COOKIE_SECURE"):
        out["SESSION_COOKIE_SECURE"] = env_bool("SESSION_COOKIE_SECURE")
    if env_str("HSTS_SECONDS"):
        out["HSTS_SECONDS"] = env_int("HSTS_SECONDS", 0)
    if env_str("TRUSTED_PROXIES"):
        try:
            out["TRUSTED_PROXIES"] = int(env_str("TRUSTED_PROXIES"))
        except ValueError:
            raise RuntimeError("TRUSTED_PROXIES must be a whole number: the number of reverse "
                               "proxies in front of the application (0 = none)") from None
    out.setdefault(
        "SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(instance_path) / 'sipas.sqlite'}"
    )
    return out


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.update(DEFAULTS)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(from_environment(app.instance_path))
    else:
        app.config.update(from_environment(app.instance_path))
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        if not (app.debug or app.testing):
            raise RuntimeError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)."
            )
        app.config["SECRET_KEY"] = _development_key(Path(app.instance_path))
    production = not (app.debug or app.testing)
    for name in ("SESSION_COOKIE_SECURE", "HSTS_ENABLED"):
        if app.config.get(name) is None:
            app.config[name] = production
    if not 0 <= int(app.config["TRUSTED_PROXIES"]) <= 10:
        raise RuntimeError("TRUSTED_PROXIES must be between 0 and 10")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", _storage_options(app.config))


def _storage_options(config) -> dict[str, Any]:
    """Short timeouts and no retries for Redis: a hung Redis must cost a request a fraction of a
    second, not redis-py's default of waiting forever (the in-memory fallback takes over)."""
    if not str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "rediss")):
        return {}
    timeout = float(config["REDIS_TIMEOUT_SECONDS"])
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def _development_key(instance: Path) -> str:
    """A key kept in instance/ so that debug sessions and invitation links survive restarts."""
    path = instance / "dev_secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
