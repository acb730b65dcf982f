"""What the questionnaire templates need: questions with their labels, values and errors.

The respondent-facing text for each answer validation code from survey_definitions.answers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.collect import page_flow
from survey_definitions import FieldError, Questionnaire
from survey_definitions.conditions import references
from survey_definitions.questiontypes import NOT_APPLICABLE, choices, offers_not_applicable, text_max_length

WIDGETS = {"scale": "radio", "single": "radio", "yes_no": "radio", "multiple": "checkbox",
           "number": "number", "text": "textarea", "dossier_code": "code"}


@dataclass
class QuestionView:
    code: str
    widget: str
    text: str
    help: str | None
    required: bool
    choices: list[tuple[str, str]]
    values: set[str]
    hidden: bool
    show_if: str | None
    error: str | None = None
    max_length: int | None = None
    scale: bool = False

    @property
    def described_by(self) -> str:
        return " ".join(f"{prefix}-{self.code}" for prefix, present in (("h", self.help), ("e", self.error)) if present)

    @property
    def value(self) -> str:
        return next(iter(self.values), "")


@dataclass
class SectionView:
    code: str
    title: str
    description: str | None
    questions: list[QuestionView] = field(default_factory=list)


def as_strings(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return {str(value)}


def _question(q: Questionnaire, shown: page_flow.Shown, lang: str, values: dict[str, Any],
              errors: dict[str, str]) -> QuestionView:
    question = shown.question
    fixed = [(str(c.value), getattr(c.label, lang)) for c in choices(question, q.scales) or ()]
    if offers_not_applicable(question, q.scales):
        fixed.append((NOT_APPLICABLE, getattr(q.scale_of(question.code).not_applicable_label, lang)))
    return QuestionView(
        code=question.code, widget=WIDGETS[question.type], text=getattr(question.text, lang),
        help=getattr(question.help, lang) if question.help else None, required=question.required,
        choices=fixed, values=as_strings(values.get(question.code)), hidden=not shown.visible,
        show_if=json.dumps(question.show_if, separators=(",", ":")) if question.show_if else None,
        error=errors.get(question.code),
        max_length=text_max_length(question) if question.type == "text" else None,
        scale=question.type == "scale")


def page_view(q: Questionnaire, page: int, answers: dict[str, Any], lang: str,
              values: dict[str, Any] | None = None, errors: list[FieldError] | None = None) -> dict[str, Any]:
    """Sections and questions of one page; ``values`` are what to pre-fill (posted or saved)."""
    values = answers if values is None else values
    messages = {e.field: message_for(e) for e in errors or []}
    shown = {s.question.code: s for s in page_flow.page_questions(q, page, answers) if s.rendered}
    sections = []
    for code in page_flow.pages(q)[page]:
        section = q.section(code)
        view = SectionView(code, getattr(section.title, lang),
                           getattr(section.description, lang) if section.description else None)
        view.questions = [_question(q, shown[item.code], lang, values, messages)
                          for item in section.questions if item.code in shown]
        if view.questions:
            sections.append(view)
    codes = [item.code for section in sections for item in section.questions]
    on_page = set(codes)
    # Earlier answers that this page's conditions test, for the script to evaluate them too.
    refs = set().union(*(references(q.question(c).show_if) for c in codes)) - on_page
    known = {c: answers[c] for c in sorted(refs) if c in answers}
    summary = [(e.field, messages[e.field], _label(q, e.field, lang)) for e in errors or []]
    steps = [i for i in range(len(page_flow.pages(q))) if page_flow.has_questions(q, i, answers)]
    return {
        "sections": sections,
        "page": page,
        "step": steps.index(page) + 1 if page in steps else 1,
        "steps": len(steps),
        "shown": " ".join(v.code for s in sections for v in s.questions if not v.hidden),
        "known": json.dumps(known, separators=(",", ":"), ensure_ascii=False),
        "summary": summary,
        "first": page == (steps[0] if steps else 0),
        "last": page_flow.next_page(q, page, answers) is None,
    }


def _label(q: Questionnaire, code: str, lang: str) -> str:
    try:
        return getattr(q.question(code).text, lang)
    except KeyError:
        return code


MESSAGES = {
    "required": _l("Please answer this question."),
    "unknown_question": _l("This question is not part of the questionnaire."),
    "not_shown": _l("This question does not apply given your earlier answers, so it must be left blank."),
    "invalid_choice": _l("Please choose one of the options offered."),
    "out_of_range": _l("The value is outside the allowed range."),
    "not_a_number": _l("Please enter a number."),
    "too_long": _l("The text is too long."),
    "invalid_format": _l("The format is not valid."),
    "dossier_shape": _l("Expected a dossier code in the form UNIT-YYMMDD-NUMBER, e.g. H15.50.05.13-261008-0975: "
                        "the receiving unit's code, the receiving date (year, month, day) and the dossier's number."),
    "dossier_date": _l("The date in the dossier code (the six digits YYMMDD after the unit's code) is not a real date."),
    "not_applicable_not_offered": _l("“Not applicable” is not an option for this question."),
}


def message_for(error) -> str:
    """Translate a FieldError (code + params) into the current locale."""
    template = MESSAGES.get(error.code)
    if template is None:
        return _("The answer is not valid.")
    return str(template)
