"""Error pages in the visitor's language, and JSON errors under /api/."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

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
    if wants_json():
        body, status = api_error(code, text)
        return body, status, headers
    return render_template("errors/error.html", code=code, title=title, text=text), code, headers


def handle_unexpected(error: Exception):
    from app.extensions import db

    db.session.rollback()
    return handle_http(InternalServerError(original_exception=error))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http)
    if not app.debug:
        app.register_error_handler(Exception, handle_unexpected)
