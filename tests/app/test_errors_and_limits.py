"""Unexpected errors are logged with a request id the visitor sees; oversized bodies are refused
before anything reads them."""
from __future__ import annotations

import io
import logging

import pytest
from flask import abort

from app import create_app
from tests.conftest import make_config


class CountingStream(io.RawIOBase):
    """An endless request body that counts what the application read of it."""

    def __init__(self, total: int):
        self.total, self.read_bytes = total, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.total - self.read_bytes)
        buffer[:n] = b"a" * n
        self.read_bytes += n
        return n


EIGHT_MB = 8 * 1024 * 1024


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
@pytest.mark.parametrize("path", ["/answer", "/login", "/logout", "/k/X1/start", "/admin/agencies/import"])
def test_an_8_mb_form_post_is_413_without_reading_the_body(client, path, app_config):
    stream = CountingStream(EIGHT_MB)
    response = client.post(path, content_type="application/x-www-form-urlencoded",
                           environ_overrides={"wsgi.input": stream, "CONTENT_LENGTH": str(EIGHT_MB)})
    assert response.status_code == 413
    assert stream.read_bytes == 0


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_chunked_8_mb_post_is_cut_at_the_limit(client, app, app_config):
    stream = CountingStream(EIGHT_MB)
    # No Content-Length: the server marks the input as terminated (chunked transfer encoding).
    response = client.post("/login", content_type="application/x-www-form-urlencoded",
                           environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True},
                           headers={"Transfer-Encoding": "chunked"})
    assert response.status_code == 413
    assert stream.read_bytes <= app.config["MAX_SUBMISSION_BYTES"] + 64 * 1024


@pytest.fixture
def failing_app(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    @app.get("/abort500")
    def abort500():
        abort(500)

    return app


@pytest.mark.parametrize("path", ["/boom", "/abort500"])
def test_a_500_is_logged_with_the_request_id_shown_to_the_visitor(failing_app, path, caplog):
    with caplog.at_level(logging.ERROR, logger="app"):
        response = failing_app.test_client().get(path)
    assert response.status_code == 500
    rid = response.headers["X-Request-Id"]
    assert len(rid) >= 8 and rid in response.get_data(as_text=True)
    assert [r for r in caplog.records if rid in r.getMessage() and r.levelno == logging.ERROR]
    if path == "/boom":
        assert any(r.exc_info and "kaput" in str(r.exc_info[1]) for r in caplog.records)


def test_every_response_has_a_request_id_and_unsafe_ones_from_outside_are_replaced(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert client.get("/healthz", headers={"X-Request-Id": "abcdef0123456789"}).headers["X-Request-Id"] == \
        "abcdef0123456789"
    forged = client.get("/healthz", headers={"X-Request-Id": "FAKE log line <script>"}).headers["X-Request-Id"]
    assert "FAKE" not in forged


def test_a_database_outage_is_logged_with_request_ids(tmp_path, caplog):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite'}"))
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="app"):
        responses = [client.get("/") for _ in range(3)]
    assert [r.status_code for r in responses] == [500] * 3
    ids = {r.headers["X-Request-Id"] for r in responses}
    assert len(ids) == 3
    logged = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
    assert all(rid in logged for rid in ids)
    api = client.post("/api/v1/responses", json={"invitation": "x" * 32, "answers": {}})
    assert api.status_code == 500 and api.headers["X-Request-Id"] in api.get_json()["errors"][0]["message"]


def test_signed_in_administrators_still_upload_more_than_64_kb(client, login_as):
    login_as("admin")
    big = ("code,name_vi,name_en,block\n" + "".join(f"A{i},Cơ quan {i},Agency {i},departments\n"
                                                    for i in range(3000))).encode()
    assert len(big) > 64 * 1024
    response = client.post("/admin/agencies/import", data={"file": (io.BytesIO(big), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302


def test_an_error_page_whose_layout_fails_still_answers_with_the_request_id(failing_app, caplog):
    @failing_app.context_processor
    def broken():
        raise RuntimeError("layout needs the database")

    with caplog.at_level(logging.ERROR, logger="app"):
        response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.headers["X-Request-Id"] in response.get_data(as_text=True)
