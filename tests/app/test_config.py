import pytest

from app import create_app


def test_refuses_to_start_without_secret_key_outside_debug(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_debug_mode_starts_with_a_generated_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert len(app.config["SECRET_KEY"]) >= 32


def test_environment_overrides_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"TESTING": True})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def production_app(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_outside_debug_cookies_are_secure_and_hsts_is_sent(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_debug_and_tests_keep_plain_http_cookies(monkeypatch, tmp_path, app):
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/y.db"}).config["SESSION_COOKIE_SECURE"] is False


def test_secure_cookies_can_be_turned_off_explicitly(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path, SESSION_COOKIE_SECURE="0", HSTS_SECONDS="0")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


def test_trusted_proxies_is_read_from_the_environment(monkeypatch, tmp_path):
    assert production_app(monkeypatch, tmp_path).config["TRUSTED_PROXIES"] == 0
    assert production_app(monkeypatch, tmp_path, TRUSTED_PROXIES="2").config["TRUSTED_PROXIES"] == 2
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        production_app(monkeypatch, tmp_path, TRUSTED_PROXIES="yes")


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_with_one_trusted_proxy_the_client_address_comes_from_x_forwarded_for(app, app_config):
    @app.get("/probe/address")
    def address():
        from flask import request

        return request.remote_addr

    client = app.test_client()
    assert client.get("/probe/address", headers={"X-Forwarded-For": "203.0.113.7"}).text == "203.0.113.7"
    # Only the address the proxy appended counts: a client's own X-Forwarded-For entries are ignored.
    spoofed = client.get("/probe/address", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.8"})
    assert spoofed.text == "203.0.113.8"


def test_pages_with_unpublished_figures_or_accounts_are_not_stored_by_caches(client, login_as):
    login_as("admin")
    for path in ("/admin/", "/dashboard/", "/login", "/api/v1/waves/none/questionnaire"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    assert client.get("/results/").headers.get("Cache-Control") != "no-store"
    assert client.get("/api/v1/openapi.json").headers.get("Cache-Control") != "no-store"
