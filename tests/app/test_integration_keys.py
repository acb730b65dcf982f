"""Integration keys (POST /api/v1/invitations): made by administrators only, rate limited per key,
capped per day, every invitation audited under the key (issue 12, item 3)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts import tokens
from app.extensions import db
from app.models import AuditEvent, Invitation
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


def new_key(name: str, agency=None) -> str:
    raw, _row = tokens.create(name, agency)
    db.session.commit()
    return raw


def post(client, wave, raw: str, agency: str = "A1"):
    return client.post("/api/v1/invitations", json={"wave": wave.slug, "agency": agency}, headers={"X-API-Key": raw})


@pytest.mark.parametrize("app_config", [{"API_KEY_DAILY_INVITATIONS": 3}])
def test_a_key_is_capped_per_day_and_the_refusal_names_the_limit(client, wave, app_config):
    raw, other = new_key("one-stop"), new_key("other")
    statuses = [post(client, wave, raw).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    refusal = post(client, wave, raw).get_json()["errors"][0]
    assert refusal["field"] == "X-API-Key" and "at most 3 invitations a day" in refusal["message"]
    assert post(client, wave, other).status_code == 201  # each key has its own quota
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 4


def test_a_key_of_its_own_daily_limit_overrides_the_setting(client, wave):
    from app.models import ApiKey

    raw = new_key("small")
    db.session.scalar(select(ApiKey)).daily_limit = 1
    db.session.commit()
    assert [post(client, wave, raw).status_code for _ in range(2)] == [201, 429]


def test_each_invitation_is_audited_under_its_key(client, wave):
    raw = new_key("one-stop")
    post(client, wave, raw)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.issue")).all()
    assert event.actor.startswith("api_key:") and "one-stop" in event.actor and event.after["count"] == 1


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_INTEGRATION": "2/minute"}])
def test_the_rate_limit_counts_per_key_not_per_address(client, wave, app_config):
    first, second = new_key("first"), new_key("second")
    assert [post(client, wave, first).status_code for _ in range(3)] == [201, 201, 429]
    assert [post(client, wave, second).status_code for _ in range(2)] == [201, 201]


def test_only_administrators_create_integration_keys(client, wave, login_as):
    from app.models import ApiKey

    for role in ("agency", "entry", "official"):
        client.post("/logout")
        login_as(role, wave.agencies[0] if role in ("agency", "entry") else None)
        assert client.post("/admin/api-keys", data={"name": "mine", "agency": "A1"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_an_administrator_sets_a_keys_daily_limit_and_sees_its_use(client, wave, login_as):
    from app.models import ApiKey

    admin = login_as("admin")
    page = client.post("/admin/api-keys", data={"name": "Một cửa", "agency": "A1", "daily_limit": "2"})
    raw = page.get_data(as_text=True).split('<code class="secret">')[1].split("</code>")[0]
    key = db.session.scalar(select(ApiKey))
    assert key.daily_limit == 2
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.create")).one()
    assert event.user_id == admin.id and event.after["daily_limit"] == 2
    assert [post(client, wave, raw).status_code for _ in range(3)] == [201, 201, 429]
    assert "2 / 2" in client.get("/admin/api-keys").get_data(as_text=True)
    assert client.post("/admin/api-keys", data={"name": "x", "daily_limit": "0"}).status_code == 400


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_INTEGRATION": "2/minute"}])
def test_guessed_keys_count_against_the_address(client, wave, app_config):
    statuses = [post(client, wave, f"guess-{n}").status_code for n in range(3)]
    assert statuses == [401, 401, 429]
