"""Small helpers shared by the admin views."""
from __future__ import annotations

from flask import Response, abort, request
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.extensions import db
from app.models import Agency
from app.shared.refusal import Refusal

UPLOAD_LIMIT = 4 * 1024 * 1024


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
