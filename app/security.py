"""Security headers on every response."""
from flask import Flask, Response, abort, current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# plotly.js sets two constant style attributes (the empty string and one fixed declaration) with
# setAttribute, which `style-src 'self'` blocks. Pages that draw charts allow exactly those two
# attribute values by hash ('unsafe-hashes' covers attributes only, never <style> or scripts).
PLOTLY_STYLE_HASHES = ("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
                       "'sha256-gG0b4ixT/IQUp7JJLbyKcpYcYDjq2Wp8NGv3f+aasqo='")
CHART_CSP = CSP.replace("style-src 'self';", f"style-src 'self' 'unsafe-hashes' {' '.join(PLOTLY_STYLE_HASHES)};")


def allow_chart_styles(response: Response) -> Response:
    """after_request for the blueprints whose pages draw Plotly charts."""
    response.headers["Content-Security-Policy"] = CHART_CSP
    return response


HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"))
_HEADER_NAMES = {name.lower() for name, _ in HEADERS}


def set_headers(response: Response) -> Response:
    """Add the security headers a view has not set itself (one pass over the headers)."""
    present = {name.lower() for name, _ in response.headers} & _HEADER_NAMES
    for name, value in HEADERS:
        if name.lower() not in present:
            response.headers.add(name, value)
    return response


def limit_body_size() -> None:
    """64 KB for everything but the administrators' uploads."""
    if not request.path.startswith("/admin/"):
        request.max_content_length = current_app.config["MAX_SUBMISSION_BYTES"]


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_in_forms() -> None:
    """NUL cannot be stored in PostgreSQL text: refuse it in query strings and forms up front
    (JSON bodies are checked by the API, field by field)."""
    if request.mimetype not in FORM_TYPES and not request.args:
        return
    if any("\x00" in k or "\x00" in v for source in (request.args, request.form)
           for k, values in source.lists() for v in values):
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(limit_body_size)
    app.before_request(refuse_nul_in_forms)
    app.after_request(set_headers)
