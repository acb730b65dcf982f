"""Keep invitation tokens, case status tokens (/c/<token>) and kiosk keys out of every log line.

The werkzeug development server, gunicorn's access log and Flask's error log all print the
request line; a token in /s/<token> or a ?key= would land in log files and their backups.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from flask import Flask

# /s/<path:token> takes slashes too; a query parameter ends at & or #. Matched case-insensitively
# on the decoded text: what the server decodes and routes is what must not be logged.
SECRET_PARTS = re.compile(r"(/[sc]/)[^\s?#\"']+|((?:^|[?&])(?:key|token|invitation)=)[^\s&#\"']+", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def _decoded(text: str) -> str:
    """Percent-decoding until nothing changes (at most three rounds: %2573 → %73 → s)."""
    for _ in range(3):
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def redact(text: str, mark: str = "[redacted]") -> str:
    """The text with invitation tokens and kiosk keys replaced by `mark`, also when they were
    percent-encoded (/%73/<token>, ?%6bey=...). A line with nothing secret is returned as it came;
    a redacted one is returned decoded, with control characters escaped (no forged log lines)."""
    decoded = _decoded(text)
    if not SECRET_PARTS.search(decoded):
        return text
    cleaned = SECRET_PARTS.sub(lambda m: (m.group(1) or m.group(2)) + mark, decoded)
    return CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", cleaned)


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
