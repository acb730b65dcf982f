"""Static files compressed and cached for a year under a content-hash URL.

`url_for('static', filename=...)` adds `?v=<hash of the file's bytes>`, so a changed file gets a new
URL and a browser may keep the old one forever (`immutable`); a request without the current hash is
revalidated instead. A client that accepts brotli or gzip gets a precompressed `.br`/`.gz` file kept
beside the original (the chart library), or, for text types, gzip made here once per file version.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
import os

from flask import Flask, Response, abort, current_app, request, send_file
from werkzeug.security import safe_join

from app.security import signed_in

YEAR = 365 * 24 * 3600
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
MIN_COMPRESS = 512  # smaller bodies gain nothing worth a Content-Encoding


def _stat_key(path: str) -> tuple[str, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return path, stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=256)
def _digest(key: tuple[str, int, int]) -> str:
    with open(key[0], "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


@functools.lru_cache(maxsize=64)
def _gzipped(key: tuple[str, int, int]) -> bytes:
    with open(key[0], "rb") as handle:
        return gzip.compress(handle.read(), compresslevel=9, mtime=0)


def _path(filename: str) -> str | None:
    path = safe_join(current_app.static_folder, filename)
    return path if path and os.path.isfile(path) else None


def version(filename: str) -> str | None:
    """The hash that goes into the file's URL (None if there is no such file)."""
    path = _path(filename)
    key = _stat_key(path) if path else None
    return _digest(key) if key else None


def add_version(endpoint: str, values: dict) -> None:
    """url_defaults: every static URL carries its file's content hash."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        digest = version(values["filename"])
        if digest:
            values["v"] = digest


def _precompressed(path: str) -> tuple[str, str] | None:
    """A .br/.gz sibling the client accepts (tests check that each one matches its original)."""
    for encoding, suffix in PRECOMPRESSED:
        if request.accept_encodings[encoding] > 0 and os.path.isfile(path + suffix):
            return path + suffix, encoding
    return None


def serve(filename: str) -> Response:
    path = _path(filename)
    if path is None:
        abort(404)
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    found = _precompressed(path)
    key = _stat_key(path)
    if found:
        response = send_file(found[0], mimetype=mimetype, conditional=True)
        response.headers["Content-Encoding"] = found[1]
    elif (mimetype.startswith(TEXT_TYPES) and key[2] >= MIN_COMPRESS
          and request.accept_encodings["gzip"] > 0):
        response = Response(_gzipped(key), mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(f"{_digest(key)}-gz")
        response.make_conditional(request)
    else:
        response = send_file(path, mimetype=mimetype, conditional=True)
    response.vary.add("Accept-Encoding")
    if request.args.get("v") == _digest(key):
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"  # an old or missing hash: ask again each time
    return response


def compress_public_results(response: Response) -> Response:
    """gzip the published-results pages for anonymous readers (the page a phone opens first).

    Only these pages: compressing a body that holds a secret (a CSRF token, a session's data) next
    to text an attacker can reflect leaks the secret through the length (BREACH); an anonymous
    results page holds neither a form nor a token."""
    if (request.blueprint != "results" or request.method != "GET" or response.status_code != 200
            or response.mimetype != "text/html" or response.direct_passthrough
            or "Content-Encoding" in response.headers or request.accept_encodings["gzip"] <= 0
            or signed_in()):
        return response
    body = response.get_data()
    if b'name="csrf_token"' in body:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


CHARTS_KEY = "sipas.draws_charts"


def uses_charts() -> str:
    """Called by the chart macro: the page layout then loads the chart library (and only then).

    Kept on the request (not on `g`, which an application context shared by several requests,
    as in tests, would carry over)."""
    request.environ[CHARTS_KEY] = True
    return ""


def draws_charts() -> bool:
    return bool(request.environ.get(CHARTS_KEY))


def init_app(app: Flask) -> None:
    app.url_defaults(add_version)
    app.jinja_env.globals.update(uses_charts=uses_charts, draws_charts=draws_charts)
    app.after_request(compress_public_results)
    app.view_functions["static"] = serve
