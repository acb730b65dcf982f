"""Error pages in the visitor's language, and JSON errors under /api/."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.security import request_id

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you sent.")),
    403: (_l("Forbidden"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has moved.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    415: (_l("Unsupported content type"), _l("Send the data as JSON.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, field: str | None = None):
    return jsonify(errors=[{"field": field, "message": str(message)}]), status


def handle_http(error: HTTPException):
    code = error.code or 500
    title, text = MESSAGES.get(code, (error.name, error.description))
    if isinstance(error, CSRFError):
        text = _l("The form expired or was sent from elsewhere. Please reload the page and try again.")
    # Keep the exception's own headers (Allow on 405, Retry-After on 429, ...).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    reference = None
    if code == 500:

        reference = request_id()
        if getattr(error, "original_exception", None) is None:  # abort(500): unexpected exceptions are logged below
            current_app.logger.error("500 %s %s request_id=%s", request.method, request.path, reference)
    if wants_json():
        body, status = api_error(code, f"{text} (reference {reference})" if reference else text)
        return body, status, headers
    try:
        page = render_template("errors/error.html", code=code, title=title, text=text, reference=reference)
    except Exception:  # the layout itself failed (it may need the database): a bare page, still answered
        current_app.logger.exception("error page failed to render request_id=%s", reference)
        page = str(escape(f"{code} {title}. {text}" + (f" ({reference})" if reference else "")))
    return page, code, headers


def handle_unexpected(error: Exception):

    # The log line carries the id shown to the visitor: one report finds its traceback.
    # app.logger: its filter redacts tokens in the path (app/logfilter.py).
    log = current_app.logger
    log.error("500 %s %s request_id=%s", request.method, request.path, request_id(), exc_info=error)
    try:
        db.session.rollback()
    except Exception:  # the database may be the thing that is down; the page must still render
        log.warning("rollback failed after an error request_id=%s", request_id(), exc_info=True)
    return handle_http(InternalServerError(original_exception=error))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
