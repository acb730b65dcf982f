"""What each question type accepts: its fixed choices, its value domain, its defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from .conditions import Domain
from .schema import Choice, Question, Scale, Text

NOT_APPLICABLE = "na"
"""The answer value that means "not applicable / don't know" on scales that offer it."""

YES, NO = 1, 0
YES_NO_CHOICES = (
    Choice(value=YES, label=Text(vi="Có", en="Yes")),
    Choice(value=NO, label=Text(vi="Không", en="No")),
)

DEFAULT_TEXT_MAX_LENGTH = 2000

# A dossier (hồ sơ) code such as H15.50.05.13-261008-0975: letters, digits, dots and dashes,
# 5 to 40 characters, starting and ending with a letter or digit. Kept simple so that the same
# pattern works in HTML's pattern attribute and in JavaScript.
DOSSIER_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9.\-]{3,38}[A-Z0-9]$"
DOSSIER_CODE_RE = re.compile(DOSSIER_CODE_PATTERN)

# `format: decree118`: the dossier code as the one-stop systems of Decree 118/2025/NĐ-CP (amended by
# Decree 367/2025) print it: the receiving unit's code (dot-separated parts), the receiving date as
# YYMMDD and a sequence number, e.g. H15.50.05.13-261008-0975 (unit H15.50.05.13, 8 October 2026,
# number 0975). The pattern (also for JavaScript) checks the shape; the date must also be real.
DECREE118 = "decree118"
DECREE118_PATTERN = r"^[A-Z0-9]{1,20}(\.[A-Z0-9]{1,20}){0,7}-[0-9]{6}-[0-9]{1,8}$"
DECREE118_RE = re.compile(DECREE118_PATTERN)
DECREE118_SHAPE = "UNIT-YYMMDD-NUMBER, e.g. H15.50.05.13-261008-0975"


def dossier_code_problem(code: str, fmt: str | None) -> str | None:
    """Why ``code`` (upper case) is not a dossier code of this format: None if it is, else the
    answer error's code ("invalid_format"; with decree118, "dossier_shape" or "dossier_date")."""
    if fmt != DECREE118:
        return None if DOSSIER_CODE_RE.fullmatch(code) else "invalid_format"
    if not DECREE118_RE.fullmatch(code):
        return "dossier_shape"
    day = code.rsplit("-", 2)[1]
    try:
        date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError:
        return "dossier_date"
    return None

# Fields that only make sense for some types; any other type must leave them unset.
TYPE_FIELDS = {
    "scale": {"scale"},
    "single": {"options"},
    "multiple": {"options"},
    "number": {"min", "max", "integer"},
    "text": {"max_length"},
    "dossier_code": {"format"},
}
TYPED_FIELDS = {"scale", "options", "min", "max", "integer", "max_length", "format"}


def choices(question: Question, scales: Mapping[str, Scale]) -> tuple[Choice, ...] | None:
    """The fixed answers of a question (scale points, options, yes/no), None for open types."""
    if question.type == "scale":
        scale = scales.get(question.scale or "")
        return tuple(scale.points) if scale else None
    if question.type in ("single", "multiple"):
        return tuple(question.options or ())
    if question.type == "yes_no":
        return YES_NO_CHOICES
    return None


def offers_not_applicable(question: Question, scales: Mapping[str, Scale]) -> bool:
    scale = scales.get(question.scale or "") if question.type == "scale" else None
    return bool(scale and scale.not_applicable)


def domain(question: Question, scales: Mapping[str, Scale]) -> Domain:
    """What a show_if condition may compare this question's answer with."""
    if question.type in ("text", "dossier_code"):
        return Domain(None, comparable=False)
    if question.type == "number":
        return Domain(None)
    values = {c.value for c in choices(question, scales) or ()}
    if offers_not_applicable(question, scales):
        values.add(NOT_APPLICABLE)
    return Domain(frozenset(values))


def text_max_length(question: Question) -> int:
    return question.max_length or DEFAULT_TEXT_MAX_LENGTH
