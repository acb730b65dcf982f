"""Small helpers shared by the admin views: the page argument, downloads and uploads, and
commit_or_show, the one way a view runs a service call that may refuse."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Response, abort, flash, redirect, request
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.extensions import db
from app.models import Agency
from app.shared.csvio import ImportRejected, RowError
from app.shared.refusal import Refusal

UPLOAD_LIMIT = 4 * 1024 * 1024
T = TypeVar("T")
# What a done action flashes: a message shown as a success, or (message, category) pairs in order.
Done = str | list[tuple[str, str]]


def page_arg() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


def download(data: bytes | str, filename: str, mimetype: str) -> Response:
    body = data.encode("utf-8") if isinstance(data, str) else data
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def attach_error(form: FlaskForm, error: Refusal) -> None:
    """Show a service's refusal under the field it names (or above the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def commit_or_show(form: FlaskForm | None, action: Callable[[], T], done: Done | Callable[[T], Done],
                   next_url: str | Callable[[T], str], *, back: BaseResponse | None = None,
                   row_errors: list[RowError] | None = None, code: int = 302) -> BaseResponse | None:
    """Run a service call that may refuse, the one way every admin view does.

    `action()` raises Refusal: the session rolls back and the refusal is shown under the field it
    names on `form` (None is returned: the view renders the form again), or, with no form, flashed
    as an error with `back` (a redirect) returned. With `row_errors`, a file refused line by line
    (ImportRejected) rolls back too and its errors go into that list for the page. Otherwise the
    session commits, `done` is flashed and the answer is a redirect to `next_url` with `code`.
    `done` and `next_url` may be functions of what `action` returned."""
    try:
        result = action()
    except ImportRejected as rejected:
        if row_errors is None:
            raise
        db.session.rollback()
        row_errors.extend(rejected.errors)
        return None
    except Refusal as refusal:
        db.session.rollback()
        if form is not None:
            attach_error(form, refusal)
            return None
        flash(refusal.message, "error")
        return back
    db.session.commit()
    flashed = done(result) if callable(done) else done
    for message, category in flashed if isinstance(flashed, list) else [(flashed, "success")]:
        flash(message, category)
    return redirect(next_url(result) if callable(next_url) else next_url, code)


def committed(form: FlaskForm, action: Callable[[], T]) -> T | None:
    """commit_or_show for a page that shows its result instead of redirecting (a new key, shown once):
    the result after a commit, or None after a rollback with the refusal shown on `form`."""
    try:
        result = action()
    except Refusal as refusal:
        db.session.rollback()
        attach_error(form, refusal)
        return None
    db.session.commit()
    return result


def agency_or_404(code: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        abort(404)
    return agency


def upload_bytes(storage) -> bytes:
    data = storage.read(UPLOAD_LIMIT + 1) if storage else b""
    if len(data) > UPLOAD_LIMIT:
        abort(413)
    return data
