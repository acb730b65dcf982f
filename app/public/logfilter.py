"""Keep invitation tokens and kiosk keys out of every log line.

The werkzeug development server, gunicorn's access log and Flask's error log all print the
request line; a token in /s/<token> or a ?key= would land in log files and their backups.
"""
from __future__ import annotations

import logging
import re

from flask import Flask

SECRET_PARTS = re.compile(r"(/s/)[^\s?\"'/]+|([?&](?:key|token|invitation)=)[^\s&\"']+")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return SECRET_PARTS.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


def _clean(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        return True


def install(app: Flask) -> None:
    for logger in [logging.getLogger(name) for name in LOGGERS] + [app.logger]:
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
