"""Kiosk at the desk: only a device holding the agency's key collects answers, one after another."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.collect import kiosks
from app.extensions import db
from app.models import FormSession, KioskDevice, KioskKey, Response
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from tests import factories
from tests.app.public_helpers import answer_all, post_page


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


@pytest.fixture
def key(wave):
    """The one-time setup code of a new key's setup link (what the tablet opens)."""
    issued = kiosks.issue(wave.agencies[0], "desk 1")
    db.session.commit()
    return setup_code(issued.setup_url)


def setup_code(url: str) -> str:
    return url.split("?key=", 1)[1]


@pytest.fixture
def answers(wave):
    return factories.satisfied_answers(questionnaire_of(wave.survey_version))


def set_up(client, key, code="A1"):
    response = client.get(f"/k/{code}?key={key}")
    assert response.status_code == 303 and response.headers["Location"] == f"/k/{code}"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Max-Age=" in cookie
    return response


def test_only_a_hash_of_the_key_is_stored(wave, key):
    row = db.session.scalars(select(KioskKey)).one()
    assert key not in row.key_hash and len(row.key_hash) == 64
    device = db.session.scalars(select(KioskDevice)).one()
    assert key not in device.setup_hash and device.device_hash is None


def test_the_setup_link_holds_a_one_time_code_not_the_key(client, wave):
    issued = kiosks.issue(wave.agencies[0], "desk 2")
    db.session.commit()
    assert issued.key not in issued.setup_url
    code = setup_code(issued.setup_url)
    first = set_up(client, code)
    secret = first.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert secret not in (code, issued.key)
    device = db.session.scalars(select(KioskDevice)).one()
    assert device.setup_hash is None and secret not in device.device_hash and device.activated_at
    assert client.get("/k/A1").status_code == 200
    # The link is dead after its first use: the browser history entry opens nothing.
    other = client.application.test_client()
    assert other.get(issued.setup_url.replace("http://localhost", "")).status_code == 403
    assert other.get("/k/A1").status_code == 403
    # The kiosk key itself (for collection apps) is not a setup code either.
    assert other.get(f"/k/A1?key={issued.key}").status_code == 403


def test_an_expired_setup_code_is_refused(client, wave, key):
    device = db.session.scalars(select(KioskDevice)).one()
    device.setup_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/k/A1?key={key}").status_code == 403
    assert client.get("/k/A1").status_code == 403


def test_a_tablet_with_the_raw_key_in_its_cookie_gets_a_device_secret(client, wave):
    issued = kiosks.issue(wave.agencies[0])
    db.session.commit()
    client.set_cookie(kiosks.COOKIE, issued.key)  # set up before device secrets existed
    response = client.get("/k/A1")
    assert response.status_code == 200
    secret = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert secret != issued.key and kiosks.device_key(secret, wave.agencies[0]) is not None


def test_a_device_without_the_key_cannot_collect_answers(client, wave):
    assert client.get("/k/A1").status_code == 403
    assert client.post("/k/A1/start").status_code == 403
    assert client.get("/k/A1?key=forged").status_code == 403
    assert client.get("/k/NOPE").status_code == 404
    assert db.session.scalar(select(func.count(FormSession.id))) == 0


def test_a_key_for_one_agency_does_not_open_another(client, wave, key):
    assert client.get(f"/k/A2?key={key}").status_code == 403
    set_up(client, key)
    assert client.get("/k/A2").status_code == 403


def test_kiosk_answers_are_stored_for_its_agency_and_the_start_screen_returns(client, wave, key, answers):
    set_up(client, key)
    start = client.get("/k/A1?lang=en")
    assert start.status_code == 200 and "Start" in start.get_data(as_text=True)
    for _ in range(2):  # two people, one after the other
        assert client.post("/k/A1/start").headers["Location"] == "/answer"
        done = answer_all(client, wave, answers)
        assert done.headers["Location"].endswith("/answer/thanks")
        thanks = client.get("/answer/thanks").get_data(as_text=True)
        assert 'href="/k/A1"' in thanks and "data-return-after" in thanks
        # Nothing of the previous person is left: the session no longer points at a form.
        assert client.get("/answer").status_code == 404
    rows = db.session.scalars(select(Response)).all()
    assert [(r.channel, r.agency_id) for r in rows] == [("kiosk", wave.agencies[0].id)] * 2


def test_start_over_deletes_the_answers_in_progress(client, wave, key, answers):
    set_up(client, key)
    client.post("/k/A1/start")
    first = client.get("/answer").get_data(as_text=True)
    post_page(client, first, answers)
    assert client.post("/k/A1/reset").headers["Location"] == "/k/A1"
    assert db.session.scalar(select(func.count(FormSession.id))) == 0
    assert client.get("/answer").status_code == 404


def test_a_revoked_key_stops_the_device_at_once(client, wave, key, answers):
    set_up(client, key)
    client.post("/k/A1/start")
    kiosks.revoke(db.session.scalars(select(KioskKey)).one())
    db.session.commit()
    assert client.get("/answer").status_code == 403
    assert client.get("/k/A1").status_code == 403


def test_kiosk_cli_issues_a_setup_link_and_revokes(runner, wave, tmp_path):
    result = runner.invoke(args=["kiosk", "issue", "--agency", "A1", "--label", "desk 2",
                                 "--qr", str(tmp_path / "kiosk.svg")])
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    assert url.startswith("http://localhost/k/A1?key=")
    assert (tmp_path / "kiosk.svg").read_text().startswith("<svg")
    assert runner.invoke(args=["kiosk", "issue", "--agency", "ZZ"]).exit_code == 1
    result = runner.invoke(args=["kiosk", "revoke", "--agency", "A1"])
    assert result.exit_code == 0 and db.session.scalar(
        select(func.count(KioskKey.id)).where(KioskKey.revoked_at.is_(None))) == 0


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_SUBMIT": "3/minute"}])
def test_kiosk_starts_with_a_valid_key_are_never_refused_but_bad_keys_are(client, wave, key, app_config):
    set_up(client, key)
    assert [client.post("/k/A1/start").status_code for _ in range(5)] == [303] * 5
    client.delete_cookie(kiosks.COOKIE)
    assert [client.post("/k/A1/start").status_code for _ in range(5)] == [403] * 3 + [429] * 2
