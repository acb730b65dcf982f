"""Cleaning a respondent's answers against a questionnaire: from an HTML form or from JSON.

HTML forms send strings (a ``multiple`` question: a list of strings); JSON sends ints, strings
and lists. Both come out the same: scale → int or "na", single → int, multiple → sorted list of
ints, yes_no → 1/0, number → int or float, text → stripped str, dossier_code → upper-case str.
Blank (None, "", spaces, []) means not answered and is left out of the result.

Errors carry a code and parameters, never a sentence: the web app words them in the
respondent's language. ``FieldError.message`` is a plain English fallback for logs and tests.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import conditions
from .questionnaire import Questionnaire
from .questiontypes import (
    DECREE118_SHAPE,
    NOT_APPLICABLE,
    choices,
    dossier_code_problem,
    offers_not_applicable,
    text_max_length,
)
from .schema import Question

MESSAGES = {
    "unknown_question": "There is no question '{field}' in this questionnaire.",
    "not_shown": "This question does not apply given your earlier answers.",
    "required": "Please answer this question.",
    "invalid_choice": "Choose one of the offered answers.",
    "out_of_range": "Enter a value from {min} to {max}.",
    "not_a_number": "Enter a number.",
    "too_long": "Use at most {max_length} characters (you used {length}).",
    "invalid_format": "This does not look like a dossier code such as H15.50.05.13-261008-0975.",
    "dossier_shape": "Expected a dossier code as Decree 118/2025 has it: UNIT-YYMMDD-NUMBER, e.g. "
                     "H15.50.05.13-261008-0975 (the receiving unit's code, the receiving date, the dossier's number).",
    "dossier_date": "The date in the dossier code (YYMMDD after the unit's code) is not a real date.",
    "not_applicable_not_offered": "'Not applicable' is not an answer to this question.",
}
OnHidden = Literal["error", "drop"]


@dataclass(frozen=True)
class FieldError:
    """A problem with one answer: ``field`` is the question code, ``code`` one of MESSAGES."""

    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def message(self) -> str:
        """A default English sentence; the web app translates ``code`` instead."""
        text = MESSAGES.get(self.code, self.code)
        try:
            return text.format(field=self.field, **self.params)
        except (KeyError, IndexError):
            return text


class _Invalid(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def clean_answers(q: Questionnaire, raw: Mapping[str, Any], *,
                  on_hidden: OnHidden = "error") -> tuple[dict[str, Any], list[FieldError]]:
    """Validate a whole submission; returns (cleaned answers, errors in question order).

    ``on_hidden="drop"`` silently discards answers to questions whose condition is false
    (useful for a one-page HTML form without JavaScript, where the respondent saw them all);
    the default reports them as ``not_shown``, as the API must.
    """
    return _clean(q, q.questions, raw, {}, on_hidden)


def clean_section(q: Questionnaire, section_code: str, raw: Mapping[str, Any],
                  previous_answers: Mapping[str, Any] | None = None, *,
                  on_hidden: OnHidden = "error") -> tuple[dict[str, Any], list[FieldError]]:
    """Validate one page of a multi-page form; conditions may use ``previous_answers``
    (the cleaned answers of earlier sections). Returns this section's answers only."""
    section = q.section(section_code)
    return _clean(q, section.questions, raw, previous_answers or {}, on_hidden)


def visible_questions(q: Questionnaire, answers: Mapping[str, Any],
                      section_code: str | None = None) -> list[str]:
    """Codes of the questions to show, given cleaned ``answers`` (optionally of one section).

    An answer to a hidden question does not count when later conditions are evaluated.
    """
    effective: dict[str, Any] = {}
    visible = []
    for question in q.questions:
        if conditions.evaluate(question.show_if, effective):
            if section_code is None or q.section_of(question.code) == section_code:
                visible.append(question.code)
            if question.code in answers:
                effective[question.code] = answers[question.code]
    return visible


def _clean(q: Questionnaire, questions: Iterable[Question], raw: Mapping[str, Any],
           previous: Mapping[str, Any], on_hidden: OnHidden) -> tuple[dict[str, Any], list[FieldError]]:
    questions = list(questions)
    in_scope = {question.code for question in questions}
    errors = [FieldError(str(code), "unknown_question") for code in raw if code not in in_scope]
    # Conditions see previous sections' answers, then this section's answers as they clear.
    known = {code: value for code, value in previous.items() if code not in in_scope}
    cleaned: dict[str, Any] = {}
    failed: set[str] = set()
    for question in questions:
        value = raw.get(question.code)
        if question.show_if is None:
            shown = True
        elif conditions.references(question.show_if) & failed:
            continue  # undecidable until the earlier answer is fixed: report only that one
        else:
            shown = conditions.evaluate(question.show_if, known)
        if value is None or (type(value) is not int and _blank(value)):
            if shown and question.required:
                errors.append(FieldError(question.code, "required"))
            continue
        if not shown:
            if on_hidden == "error":
                errors.append(FieldError(question.code, "not_shown"))
            continue
        try:
            cleaned[question.code] = known[question.code] = clean_value(q, question, value)
        except _Invalid as exc:
            failed.add(question.code)
            errors.append(FieldError(question.code, exc.code, exc.params))
    return cleaned, errors


def clean_value(q: Questionnaire, question: Question, value: Any) -> Any:
    """One non-blank answer, cleaned; raises ``_Invalid`` (internal) with an error code."""
    return _CLEANERS[question.type](q, question, value)


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return all(_blank(v) for v in value)
    return value is None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
        return int(value)
    return None


def _scale(q: Questionnaire, question: Question, value: Any) -> int | str:
    if type(value) is int and value in q.points[question.code]:  # the common case, as sent by apps
        return value
    if isinstance(value, str) and value.strip().lower() == NOT_APPLICABLE:
        if not offers_not_applicable(question, q.scales):
            raise _Invalid("not_applicable_not_offered")
        return NOT_APPLICABLE
    points = q.points[question.code]
    number = _as_int(value)
    if number is None:
        raise _Invalid("invalid_choice", value=_echo(value))
    if number not in points:
        if not min(points) <= number <= max(points):
            raise _Invalid("out_of_range", min=min(points), max=max(points))
        raise _Invalid("invalid_choice", value=number)
    return number


def _choice(q: Questionnaire, question: Question, value: Any) -> int:
    allowed = {c.value for c in choices(question, q.scales)}
    number = _as_int(value)
    if number is None or number not in allowed:
        raise _Invalid("invalid_choice", value=_echo(value))
    return number


def _multiple(q: Questionnaire, question: Question, value: Any) -> list[int]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return sorted({_choice(q, question, v) for v in items if not _blank(v)})


def _yes_no(q: Questionnaire, question: Question, value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in ("1", "true"):
        return 1
    if text in ("0", "false"):
        return 0
    raise _Invalid("invalid_choice", value=_echo(value))


def _number(q: Questionnaire, question: Question, value: Any) -> int | float:
    number: int | float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not question.integer:
            text = text.replace(",", ".")  # Vietnamese writes 1,5
        if re.fullmatch(r"[+-]?(\d{1,15}(\.\d*)?|\.\d+)", text):
            number = float(text) if "." in text else int(text)
    if number is None or not math.isfinite(number):
        raise _Invalid("not_a_number", integer=question.integer)
    if question.integer:
        if float(number) != int(number):
            raise _Invalid("not_a_number", integer=True)
        number = int(number)
    low = question.min if question.min is not None else -math.inf
    high = question.max if question.max is not None else math.inf
    if not low <= number <= high:
        raise _Invalid("out_of_range", min=question.min, max=question.max)
    return number


def _text(q: Questionnaire, question: Question, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("invalid_format")
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    limit = text_max_length(question)
    if len(text) > limit:
        raise _Invalid("too_long", max_length=limit, length=len(text))
    return text


def _dossier_code(q: Questionnaire, question: Question, value: Any) -> str:
    if not isinstance(value, str):
        raise _Invalid("invalid_format")
    code = unicodedata.normalize("NFKC", value).strip().upper()
    problem = dossier_code_problem(code, question.format)
    if problem == "dossier_date":
        raise _Invalid(problem, day=code.rsplit("-", 2)[1])
    if problem is not None:
        raise _Invalid(problem, shape=DECREE118_SHAPE) if problem == "dossier_shape" else _Invalid(problem)
    return code


def _echo(value: Any) -> Any:
    """The offending value, shortened so that an error never carries a huge payload."""
    text = value if isinstance(value, (int, float)) else str(value)[:40]
    return text


_CLEANERS = {
    "scale": _scale,
    "single": _choice,
    "multiple": _multiple,
    "yes_no": _yes_no,
    "number": _number,
    "text": _text,
    "dossier_code": _dossier_code,
}
