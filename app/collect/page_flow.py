"""The multi-page questionnaire: which page shows which questions, cleaning a page, finishing.

Pure logic over a Questionnaire and plain dicts (no request): one page per section, or one page
for ``one_page`` questionnaires. Conditions are evaluated here, on the server; a question whose
condition depends on an answer on the same page is rendered hidden and revealed by the script,
or, without JavaScript, by showing the page again once the answer that reveals it is in.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.shared.numbers import canonical
from survey_definitions import FieldError, Questionnaire, clean_answers, clean_section
from survey_definitions.conditions import evaluate, references
from survey_definitions.schema import Question


@dataclass(frozen=True)
class Shown:
    """A question on a page: ``visible`` now, or ``rendered`` hidden until a same-page answer reveals it."""

    question: Question
    visible: bool
    rendered: bool


@dataclass
class PageResult:
    answers: dict[str, Any]                      # all answers, this page's replaced
    errors: list[FieldError] = field(default_factory=list)
    revealed: list[str] = field(default_factory=list)  # newly shown questions to ask before moving on

    @property
    def complete(self) -> bool:
        return not self.errors and not self.revealed


def pages(q: Questionnaire) -> list[list[str]]:
    """Section codes per page."""
    codes = [s.code for s in q.sections]
    return [codes] if q.definition.one_page else [[c] for c in codes]


def follow_up_page(q: Questionnaire) -> int:
    """The optional last step, after every page of questions: "I want an answer about this"."""
    return len(pages(q))


def page_codes(q: Questionnaire, page: int) -> list[str]:
    return [question.code for code in pages(q)[page] for question in q.section(code).questions]


def page_questions(q: Questionnaire, page: int, answers: Mapping[str, Any]) -> list[Shown]:
    on_page = set(page_codes(q, page))
    effective: dict[str, Any] = {}
    out = []
    for question in q.questions:
        visible = evaluate(question.show_if, effective)
        if visible and question.code in answers:
            effective[question.code] = answers[question.code]
        if question.code in on_page:
            same_page = bool(references(question.show_if) & on_page)
            out.append(Shown(question, visible, visible or same_page))
    return out


def has_questions(q: Questionnaire, page: int, answers: Mapping[str, Any]) -> bool:
    return any(s.rendered for s in page_questions(q, page, answers))


def next_page(q: Questionnaire, page: int, answers: Mapping[str, Any], step: int = 1) -> int | None:
    """The next (or previous, step=-1) page that has something to ask; None past either end."""
    page += step
    while 0 <= page < len(pages(q)):
        if has_questions(q, page, answers):
            return page
        page += step
    return None


def answer_page(q: Questionnaire, page: int, raw: Mapping[str, Any], answers: Mapping[str, Any],
                shown_before: set[str]) -> PageResult:
    """Clean the answers posted for one page.

    ``shown_before`` holds the codes the respondent could see when sending the page: a question
    that the page's own answers reveal, and that was not seen, is asked next instead of being an error.
    """
    codes = page_codes(q, page)
    merged = {k: v for k, v in answers.items() if k not in codes}
    errors = [FieldError(str(k), "unknown_question") for k in raw if k not in codes]
    for section in pages(q)[page]:
        section_codes = {question.code for question in q.section(section).questions}
        subset = {k: v for k, v in raw.items() if k in section_codes}
        cleaned, problems = clean_section(q, section, subset, merged, on_hidden="drop")
        merged.update(cleaned)
        errors += problems
    visible = {s.question.code for s in page_questions(q, page, merged) if s.visible}
    revealed = [c for c in codes if q.question(c).show_if is not None and c in visible
                and c not in shown_before and c not in merged]
    errors = [e for e in errors if e.field not in revealed]
    return PageResult(merged, errors, revealed)


def final_answers(q: Questionnaire, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Everything answered, checked once more as a whole; answers that earlier changes hid are dropped."""
    return clean_answers(q, dict(answers), on_hidden="drop")


def page_of(q: Questionnaire, code: str) -> int:
    section = q.section_of(code)
    return next(i for i, sections in enumerate(pages(q)) if section in sections)


def form_value(question: Question, values: list[str]) -> Any:
    """An HTML form's value(s) for one question as clean_section expects them; a number as typed in
    the interface language ("3.500" in Vietnamese, "3,500" in English) in machine form."""
    if question.type == "number" and values and isinstance(values[0], str):

        return canonical(values[0])
    return values if question.type == "multiple" else (values[0] if values else None)
