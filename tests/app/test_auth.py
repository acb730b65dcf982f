"""Login, server-side sessions, idle timeout, throttling and role checks."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Blueprint
from sqlalchemy import select, update

from app.auth import roles_required
from app.extensions import db
from app.models import UserSession
from tests.conftest import login


@pytest.fixture
def app_with_probe(app):
    probe = Blueprint("probe", __name__)

    @probe.get("/probe/admin")
    @roles_required("admin")
    def admin_only():
        return "admin ok"

    @probe.get("/probe/any")
    @roles_required("admin", "official", "agency")
    def anyone():
        return "any ok"

    app.register_blueprint(probe)
    return app


def test_login_with_right_password_opens_a_session(client, make_user):
    user, password = make_user("official")
    response = login(client, user.email, password)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id)).ended_at is None


def test_wrong_password_is_refused_with_the_same_message_as_unknown_email(client, make_user):
    user, _ = make_user("admin")
    wrong = login(client, user.email, "not-the-password")
    unknown = login(client, "nobody@example.org", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai email hoặc mật khẩu" in wrong.get_data(as_text=True)


def test_login_only_redirects_to_same_site_paths(client, make_user):
    user, password = make_user("admin")
    response = client.post("/login?next=https://evil.example/x", data={"email": user.email, "password": password})
    assert response.headers["Location"] == "/admin/"


def test_logout_ends_the_session_even_if_the_cookie_is_replayed(app_with_probe, client, make_user):
    user, password = make_user("admin")
    login(client, user.email, password)
    cookie = client.get_cookie("session").value
    assert client.get("/probe/admin").status_code == 200
    client.post("/logout")
    client.set_cookie("session", cookie)
    assert client.get("/probe/admin").status_code == 302


def test_a_session_idle_for_30_minutes_ends(app_with_probe, client, make_user):
    user, password = make_user("admin")
    login(client, user.email, password)
    row = db.session.scalar(select(UserSession))
    db.session.execute(update(UserSession).values(last_seen_at=row.last_seen_at - timedelta(minutes=31)))
    db.session.commit()
    assert client.get("/probe/admin").status_code == 302


def test_anonymous_visitors_are_sent_to_login_and_wrong_roles_get_403(app_with_probe, client, make_user):
    response = client.get("/probe/any")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/probe/any")
    user, password = make_user("official")
    login(client, user.email, password)
    assert client.get("/probe/any").status_code == 200
    assert client.get("/probe/admin").status_code == 403


def test_five_failures_lock_the_account_for_a_while(client, make_user):
    user, password = make_user("admin")
    for _ in range(5):
        assert login(client, user.email, "wrong-password").status_code == 401
    assert login(client, user.email, password).status_code == 429


def test_deactivated_accounts_cannot_log_in(client, make_user):
    user, password = make_user("admin")
    user.active = False
    db.session.commit()
    assert login(client, user.email, password).status_code == 401


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_login_form_without_csrf_token_is_refused(client, make_user, app_config):
    user, password = make_user("admin")
    response = login(client, user.email, password)
    assert response.status_code == 400
    assert db.session.scalar(select(UserSession)) is None
