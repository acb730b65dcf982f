"""Reading a posted questionnaire page: content type, UTF-8, fields → raw answers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request, g
from flask_babel import lazy_gettext as _l

from app.collect.page_flow import form_value
from app.shared.refusal import Refusal
from survey_definitions import Questionnaire

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
RESERVED = frozenset({"csrf_token", "_page", "_shown", "action"})
PAPER_RESERVED = RESERVED | {"form_number", "wave", "processing_unit"}


@dataclass
class PostedPage:
    raw: dict[str, Any]
    shown: set[str]
    action: str
    page: int | None


def check_utf8() -> None:
    if g.get("form_not_utf8"):
        raise Refusal(None, _l("The form contained text that is not valid UTF-8. Please type it again."))


def read_page(request: Request, q: Questionnaire, reserved: frozenset[str] = RESERVED) -> PostedPage:
    """The posted page; raises Refusal (no field) when the request is not a readable web form, with
    the message shown to the respondent."""
    if request.mimetype not in FORM_TYPES:
        raise Refusal(None, _l("The answers must be sent from the questionnaire's web form."))
    check_utf8()
    form = request.form
    raw: dict[str, Any] = {}
    codes = {question.code for question in q.questions}
    for key in form:
        if key in reserved:
            continue
        values = form.getlist(key)
        raw[key] = form_value(q.question(key), values) if key in codes else values[0]
    page = form.get("_page", "")
    return PostedPage(raw=raw, shown=set(form.get("_shown", "").split()), action=form.get("action", "next"),
                      page=int(page) if page.isdigit() and len(page) < 4 else None)
