"""Numbers as people type them: "3.500" in Vietnamese and "3,500" in English are both three
thousand five hundred; "3 500" is too in either language.

Parsing follows the interface language so that it is never a guess: in Vietnamese '.' groups
thousands and ',' marks decimals, in English the other way round (Babel's CLDR symbols, strict
mode, so "1,5" in English or "1.23" in Vietnamese is refused instead of read as 15 or 123).
Machine-written files are the one exception, for CSV readers only (``machine=True``): a plain
"1234.5" that is not a valid number in the language is read with '.' as the decimal mark.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_decimal, parse_decimal
from flask import has_request_context

from app.i18n import current_language

# Only ASCII digits, separators, spaces and a leading minus: no exponents, no other scripts' digits.
_SHAPE = re.compile(r"^-?[0-9][0-9., \u00a0\u202f\u2009]*$")
# Spaces group thousands in either language ("3 500", "1 234 567,5"); NBSP and narrow NBSP too.
_SPACED = re.compile(r"^(-?[0-9]{1,3})((?:[ \u00a0\u202f\u2009][0-9]{3})+)([.,][0-9]+)?$")
_MACHINE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class NumberError(ValueError):
    """The text is not a number in the given language; the message says what was expected."""


def _language(locale: str | None) -> str:
    if locale:
        return locale[:2]
    if has_request_context():
        return current_language()
    return "vi"


def parse_decimal_text(text: str, locale: str | None = None, *, machine: bool = False) -> Decimal:
    """The number written in ``text`` in the interface language ``locale`` ('vi' or 'en'; the
    current request's language when omitted). Raises NumberError."""
    language = _language(locale)
    raw = (text or "").strip()
    if not raw:
        raise NumberError("empty")
    if not _SHAPE.fullmatch(raw):
        raise NumberError("not a number")
    spaced = _SPACED.fullmatch(raw)
    if spaced:
        decimals = spaced.group(3) or ""
        if decimals and decimals[0] != (",", ".")[language == "en"]:
            raise NumberError("wrong decimal mark")
        raw = spaced.group(1) + re.sub(r"\D", "", spaced.group(2)) + decimals
    elif any(c in raw for c in " \u00a0\u202f\u2009"):
        raise NumberError("misplaced space")
    try:
        return parse_decimal(raw, locale=language, strict=True)
    except (NumberFormatError, InvalidOperation) as exc:
        if machine and _MACHINE.fullmatch(raw):
            return Decimal(raw)
        raise NumberError(str(exc)) from exc


def parse_int_text(text: str, locale: str | None = None, *, machine: bool = False) -> int:
    """A whole number; "3.500" (vi) and "3,500" (en) are 3500, "3,5" (vi) is refused."""
    value = parse_decimal_text(text, locale, machine=machine)
    if value != value.to_integral_value():
        raise NumberError("not a whole number")
    return int(value)


def example(value: float, locale: str | None = None) -> str:
    """How the number is written in the language, for error messages ("3.500" / "3,500")."""

    return format_decimal(value, locale=_language(locale))


def plain(value: float, locale: str | None = None) -> str:
    """The number in the language without grouping ("1234,5" / "1234.5"; 1000000 not "1e+06"), so
    that what the application writes into a form reads back as the same number."""

    return format_decimal(value, format="0.##########", locale=_language(locale))


def canonical(text: str, locale: str | None = None) -> str:
    """A typed number rewritten as the machine form ("3.500" in Vietnamese → "3500", "1,5" → "1.5")
    for code that reads machine numbers; text that is not a number in the language is returned
    unchanged, for that code to refuse or read as before."""
    try:
        value = parse_decimal_text(text, locale, machine=True)
    except NumberError:
        return text
    return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
