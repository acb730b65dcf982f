"""Security headers on every response, a request id for every request, and the body limit."""
import re
import secrets
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, Response, abort, current_app, g, request, session

SESSION_KEY = "sid"  # the login session's key in the signed cookie (see app.accounts.logins)

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


def signed_in() -> bool:
    """A signed session cookie naming a login session (checked without the database: enough to
    decide how much of the body to read; the view itself checks the account)."""
    return bool(session.get(SESSION_KEY))


def limit_body_size() -> None:
    """64 KB for everything but the uploads of signed-in staff under /admin/ (anonymous posts
    there get the citizens' limit too: the CSRF check would read their whole body).

    Registered as the very first before_request (see init_app): CSRFProtect's before_request
    parses the form, so a limit set after it would come after the whole body has been read.
    Werkzeug refuses a larger Content-Length without reading it, and cuts a chunked body off at
    the limit (its input stream raises 413 past it)."""
    if request.max_content_length == current_app.config["MAX_SUBMISSION_BYTES"]:
        return  # already set (refuse_broken_utf8 calls this first)
    if request.path.startswith("/admin/") and signed_in():
        return
    request.max_content_length = current_app.config["MAX_SUBMISSION_BYTES"]
    if (request.content_length is None and request.environ.get("wsgi.input_terminated")
            and request.method not in ("GET", "HEAD", "OPTIONS")):
        # Chunked: werkzeug stops reading at the limit but hands on the truncated body as if it
        # were whole; read it now (cached for the form parser) and refuse with 413 if more follows.
        request.get_data(cache=True)
        request.stream.read(1)


# An id from outside (a proxy's $request_id) is kept only if it cannot forge a log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def assign_request_id() -> None:
    """The id that ties an error page (and its X-Request-Id header) to its log line."""
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)


def request_id() -> str:
    """This request's id (one is made if the request failed before before_request ran)."""
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return g.request_id


def send_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = request_id()
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_in_forms() -> None:
    """NUL cannot be stored in PostgreSQL text: refuse it in query strings and forms up front
    (JSON bodies are checked by the API, field by field)."""
    if request.mimetype not in FORM_TYPES and not request.args:
        return
    if any("\x00" in k or "\x00" in v for source in (request.args, request.form)
           for k, values in source.lists() for v in values):
        abort(400)


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
    limit_body_size()
    if not body_is_utf8(request):
        if not request.path.startswith(("/answer", "/paper")):
            abort(400)
        g.form_not_utf8 = True


def init_app(app: Flask) -> None:
    # First of all before_request functions: before CSRFProtect reads the form (see limit_body_size).
    app.before_request_funcs.setdefault(None, [])[:0] = [assign_request_id, limit_body_size]
    app.before_request(refuse_nul_in_forms)
    app.after_request(set_headers)
    app.after_request(send_request_id)
