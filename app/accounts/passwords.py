"""Which passwords are refused: too short, common, or built from the account's own email.

The list of common passwords ships with the code (data/common-passwords.txt.gz, no network):
the 30,000 most frequent passwords of the zxcvbn project's breach corpora. Variants that only
add digits or symbols at the end ("password2024!") or change the case count as the word itself.
Rules catch what no list holds: one repeated character or pattern, keyboard or alphabet runs, and
the email address or its name part.
"""
from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 10
MAX_LENGTH = 200
LIST = Path(__file__).parent / "data" / "common-passwords.txt.gz"
RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "1234567890", "qwertyuiopasdfghjklzxcvbnm", "qwertyuiop",
        "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv", "qazwsxedcrfvtgbyhnujm")
TRAILER = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(LIST, "rt", encoding="utf-8") as lines:
        return frozenset(w for w in (line.strip() for line in lines) if w and not w.startswith("#"))


def _is_run(text: str) -> bool:
    """Consecutive characters of an alphabet, digit or keyboard row, forwards or backwards."""
    return len(text) >= 4 and any(text in run or text in run[::-1] for run in RUNS)


def _repeats(text: str) -> bool:
    """One character or one short pattern repeated: aaaaaaaaaa, ababababab, abcabcabcabc."""
    return any(len(text) % n == 0 and text == text[:n] * (len(text) // n) for n in range(1, 5))


def problem(password: str, email: str = "") -> str | None:
    """Why this password is refused, or None if it is acceptable. In a request the reason is in the
    visitor's language; elsewhere (the command line) in English."""
    reason = _reason(password, email)
    if reason is None or has_request_context():
        return reason
    with force_locale("en"):
        return str(reason)


def _reason(password: str, email: str):
    if len(password) < MIN_LENGTH:
        return _l("The password needs at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("The password may have at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if _repeats(lowered):
        return _l("The password must not be one character or pattern repeated.")
    if _is_run(lowered) or _is_run(re.sub(r"[\W_]", "", lowered)):
        return _l("The password must not be a run of letters, digits or keyboard keys.")
    base = TRAILER.sub("", lowered)
    common = common_passwords()
    if lowered in common or (len(base) >= 4 and (base in common or _is_run(base) or _repeats(base))):
        return _l("This password is among the most common ones; choose another.")
    email = email.strip().lower()
    name = email.split("@", 1)[0]
    if email and (email in lowered or (len(name) >= 4 and name in lowered) or lowered in email):
        return _l("The password must not contain your email address or its name part.")
    return None
