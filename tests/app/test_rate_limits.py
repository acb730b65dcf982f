"""Per-address limits count only what an attacker needs (tests elsewhere run with limits off).

A valid invitation or kiosk key is its own credential: many citizens share one address (a NAT, the
one-stop centre's Wi-Fi), so requests carrying one are never refused, however many there are.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.collect import invitations, kiosks
from app.extensions import db
from app.models import Response
from app.programme.questionnaires import questionnaire_of
from tests import factories
from tests.app.public_helpers import answer_all

LIMITED = {"RATELIMIT_ENABLED": True, "RATE_LIMIT_SUBMIT": "5/minute", "RATE_LIMIT_TOKEN": "3/minute",
           "RATE_LIMIT_LOGIN": "4/minute"}


@pytest.fixture
def app_config():
    return dict(LIMITED)


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


def issue(wave, count: int) -> list[str]:
    issued = invitations.issue(wave, wave.agencies[0], count)
    db.session.commit()
    return [i.token for i in issued]


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_unknown_invitations_are_limited_per_address(client, wave):
    statuses = [client.post("/api/v1/responses", json={"invitation": "x" * 30, "answers": {}}).status_code
                for _ in range(7)]
    assert statuses == [404] * 5 + [429, 429]
    refused = client.post("/api/v1/responses", json={"invitation": "y" * 30, "answers": {}})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert refused.get_json()["errors"][0]["message"]


def test_valid_invitations_from_one_address_are_never_refused(client, wave):
    """Today's figure: 12 of 200 stored from one address; every one of them must be."""
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(6):  # an attacker on the same address uses up its allowance first
        client.post("/api/v1/responses", json={"invitation": "z" * 30, "answers": {}})
    tokens = issue(wave, 20)
    statuses = [client.post("/api/v1/responses", json={"invitation": t, "answers": answers}).status_code
                for t in tokens]
    assert statuses == [201] * 20 and stored() == 20
    # A used invitation is what an attacker replays: refused, and by now as 429.
    assert client.post("/api/v1/responses", json={"invitation": tokens[0], "answers": answers}).status_code == 429


def test_invalid_answers_with_a_valid_invitation_are_not_counted(client, wave):
    token = issue(wave, 1)[0]
    statuses = [client.post("/api/v1/responses", json={"invitation": token, "answers": {"nope": 1}}).status_code
                for _ in range(8)]
    assert statuses == [400] * 8


def test_link_openings_with_valid_invitations_are_never_refused(client, wave):
    guesses = [client.get(f"/s/{'g' * 30}{i}").status_code for i in range(5)]
    assert guesses == [303, 303, 303, 429, 429]
    for token in issue(wave, 12):  # 12 citizens behind the same address
        opened = client.get(f"/s/{token}")
        assert opened.status_code == 303 and opened.headers["Location"] == "/answer"


def test_answer_posts_in_an_invitation_session_are_never_refused(client, wave):
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(6):  # posts without a form session count against the address
        client.post("/answer", data={"page": "0"})
    assert client.post("/answer", data={"page": "0"}).status_code == 429
    for token in issue(wave, 2):
        client.get(f"/s/{token}")
        answer_all(client, wave, answers)
    assert stored() == 2


def test_bad_kiosk_keys_are_limited_but_a_valid_key_is_not(client, wave):
    code = kiosks.issue(wave.agencies[0], "desk 1").setup_url.split("?key=")[1]  # the one-time setup code
    db.session.commit()
    bad = [client.get(f"/k/A1?key=wrong-key-{i}").status_code for i in range(4)]
    assert bad == [403, 403, 403, 429]
    assert client.get(f"/k/A1?key={code}").status_code == 303
    assert [client.post("/k/A1/start").status_code for _ in range(8)] == [303] * 8


def test_failed_logins_on_the_form_and_the_api_share_one_allowance(client, make_user):
    user, password = make_user("official")
    assert client.post("/api/v1/auth/token", json={"email": "a@b.cd", "password": "x"}).status_code == 401
    assert client.post("/login", data={"email": "c@d.ef", "password": "x"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": "e@f.gh", "password": "x"}).status_code == 401
    assert client.post("/login", data={"email": "i@j.kl", "password": "x"}).status_code == 401
    assert client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).status_code == 429


@pytest.mark.parametrize("app_config", [dict(LIMITED, TRUSTED_PROXIES=1)])
def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, wave, app_config):
    for n in range(12):  # 12 citizens, each with a mistyped link
        forwarded = {"X-Forwarded-For": f"203.0.113.{n}"}
        statuses = [client.get(f"/s/{'m' * 30}{i}", headers=forwarded).status_code for i in range(3)]
        assert statuses == [303, 303, 303]
    assert client.get(f"/s/{'m' * 31}", headers={"X-Forwarded-For": "203.0.113.0"}).status_code == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client, wave):
    statuses = [client.get(f"/s/{'s' * 30}{i}", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                for i in range(5)]
    assert statuses == [303, 303, 303, 429, 429]


def test_a_kiosk_uploading_its_queue_is_never_refused_but_forged_keys_are(client, wave):
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    key = kiosks.issue(wave.agencies[0], "desk 1").key
    db.session.commit()
    forged = [client.post("/api/v1/responses", json={"agency": "A1", "answers": answers},
                          headers={"X-Kiosk-Key": f"forged-{i}"}).status_code for i in range(6)]
    assert forged == [403] * 5 + [429]
    queued = [client.post("/api/v1/responses", json={"agency": "A1", "answers": answers},
                          headers={"X-Kiosk-Key": key}).status_code for _ in range(12)]
    assert queued == [201] * 12 and stored() == 12


def test_guessed_password_reset_links_are_limited(client, app):
    assert [client.get(f"/reset?token={'r' * 32}{i}").status_code for i in range(4)] == [404, 404, 404, 429]
