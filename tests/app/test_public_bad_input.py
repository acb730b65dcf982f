"""Bad input on the citizen pages: a clear 4xx in the respondent's language, never a 500, nothing stored."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.collect import invitations
from app.extensions import db
from app.logfilter import redact
from app.models import Response
from tests import factories
from tests.app.public_helpers import page_number, shown


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


@pytest.fixture
def started(client, wave):
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    client.get(f"/s/{token}")
    return client.get("/answer").get_data(as_text=True)


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def base(html: str) -> dict:
    return {"_page": page_number(html), "_shown": shown(html), "action": "next"}


@pytest.mark.parametrize("extra", [
    {"service_field": "999"},                        # out of range
    {"service_field": "abc"},                        # not a choice
    {"nonsense": "1"},                               # unknown question code
    {"wave": "other"}, {"agency": "B9"}, {"version": "2"},  # forged context
    {"f1_1": "5"},                                   # a question of another page
])
def test_bad_answers_get_400_and_store_nothing(client, started, extra):
    data = dict(base(started), service_field="1", submission_channel="1") | extra
    response = client.post("/answer?lang=en", data=data)
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert stored() == 0


def test_wrong_content_type_and_broken_utf8_are_400(client, started):
    assert client.post("/answer", json={"service_field": 1}).status_code == 400
    body = b"_page=0&action=next&service_field=1&submission_channel=1&visits=%FF%FE"
    response = client.post("/answer", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "UTF-8" in client.post(
        "/answer?lang=en", data=body, content_type="application/x-www-form-urlencoded").get_data(as_text=True)


def test_a_body_over_64_kb_is_413(client, started):
    response = client.post("/answer", data=dict(base(started), comments="x" * 70_000))
    assert response.status_code == 413


@pytest.mark.parametrize("page", ["", "-1", "99", "x", "5"])
def test_forged_page_numbers_are_400(client, started, page):
    assert client.post("/answer", data=dict(base(started), _page=page)).status_code == 400


def test_no_session_and_unknown_paths_are_4xx(client, wave):
    assert client.get("/answer").status_code == 404
    assert client.post("/answer", data={"_page": "0"}).status_code == 404
    assert client.get("/answer/thanks").status_code == 404
    assert client.get("/s/" + "x" * 500).status_code == 303


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_post_without_csrf_token_is_refused(client, started, app_config):
    response = client.post("/answer", data=dict(base(started), service_field="1", submission_channel="1"))
    assert response.status_code == 400 and stored() == 0
    assert 'name="csrf_token"' in started


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_TOKEN": "3/minute"}])
def test_token_pages_are_rate_limited(client, wave, app_config):
    statuses = [client.get(f"/s/guess{i}").status_code for i in range(5)]
    assert statuses == [303, 303, 303, 429, 429]


def test_redaction_removes_tokens_and_keys():
    line = '127.0.0.1 - - "GET /s/AbC_12-x?lang=vi HTTP/1.1" 303 - "GET /k/A1?key=SeCrEt&lang=en"'
    cleaned = redact(line)
    assert "AbC_12-x" not in cleaned and "SeCrEt" not in cleaned and "/s/[redacted]" in cleaned
