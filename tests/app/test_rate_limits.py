"""Rate limits are enforced (tests elsewhere run with them off)."""
import pytest


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_SUBMIT": "5/minute"}])
def test_api_submissions_are_rate_limited_per_address(client, app_config):
    statuses = [client.post("/api/v1/responses", json={"invitation": "x" * 30, "answers": {}}).status_code
                for _ in range(7)]
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429, 429]
    assert client.post("/api/v1/responses", json={}).get_json()["errors"][0]["message"]


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_TOKEN": "3/minute"}])
def test_token_requests_are_rate_limited(client, app_config):
    statuses = [client.post("/api/v1/auth/token", json={"email": "a@b.cd", "password": "x"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
