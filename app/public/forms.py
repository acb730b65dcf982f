"""Reading a posted questionnaire page: content type, UTF-8, fields → raw answers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Request, abort, current_app, g, request
from flask_babel import lazy_gettext as _l

from app.services.answering import form_value
from survey_definitions import Questionnaire

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
RESERVED = frozenset({"csrf_token", "_page", "_shown", "action"})
PAPER_RESERVED = RESERVED | {"form_number", "wave"}


class BadForm(ValueError):
    """The request is not a readable web form; ``message`` is shown to the respondent."""


@dataclass
class PostedPage:
    raw: dict[str, Any]
    shown: set[str]
    action: str
    page: int | None


def body_is_utf8(request: Request) -> bool:
    """Werkzeug keeps undecodable bytes as %XX text, so look at the raw body before anything parses it."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return True
    if (request.content_length or 0) > current_app.config.get("MAX_SUBMISSION_BYTES", 64 * 1024):
        return True  # too large: refused with 413 by the body limit, never read here
    for pair in request.get_data(cache=True).split(b"&"):
        try:
            unquote_to_bytes(pair.replace(b"+", b" ").decode("ascii")).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def refuse_broken_utf8() -> None:
    """Runs first of all before-request functions (another one reads request.form, which consumes the body).

    It reads the body, so it sets the body limit first: a chunked body is cut off at the limit."""
    from app.security import limit_body_size

    limit_body_size()
    if not body_is_utf8(request):
        if not request.path.startswith(("/answer", "/paper")):
            abort(400)
        g.form_not_utf8 = True


def check_utf8() -> None:
    if g.get("form_not_utf8"):
        raise BadForm(_l("The form contained text that is not valid UTF-8. Please type it again."))


def read_page(request: Request, q: Questionnaire, reserved: frozenset[str] = RESERVED) -> PostedPage:
    if request.mimetype not in FORM_TYPES:
        raise BadForm(_l("The answers must be sent from the questionnaire's web form."))
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
