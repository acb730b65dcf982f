"""Passwords: the policy (shipped list, no network), changing one's own, administrators' reset
links, and API tokens that end with logout, a password change and deactivation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import passwords, users
from app.config import DEFAULTS
from app.extensions import db
from app.logfilter import redact
from app.models.user import PasswordReset
from app.shared.refusal import Refusal
from tests.conftest import login

GOOD = "Correct-horse-42"


@pytest.mark.parametrize("password", [
    "aaaaaaaaaa", "AAAAAAAAAAAA", "abababababab", "1234567890", "0987654321", "abcdefghijkl", "qwertyuiop",
    "password123", "Password2024!", "iloveyou12", "football99", "1q2w3e4r5t", "matkhau123", "short",
])
def test_weak_passwords_are_refused(app, password):
    assert passwords.problem(password) is not None


def test_the_email_or_its_name_part_is_refused(app):
    assert passwords.problem("nguyen.van.an-2026", "nguyen.van.an@example.org") is not None
    assert passwords.problem("x" + "an@example.org", "an@example.org") is not None


@pytest.mark.parametrize("password", [GOOD, "lantern river pocket", "Ba-con-meo-trèo-cây-cau"])
def test_ordinary_strong_passwords_are_accepted(app, password):
    assert passwords.problem(password, "someone@example.org") is None


def test_the_shipped_list_holds_the_common_passwords(app):
    common = passwords.common_passwords()
    assert len(common) >= 30_000 and {"password", "123456789", "iloveyou", "anhyeuem"} <= common


def test_accounts_cannot_be_created_with_a_common_password(app):
    with pytest.raises(Refusal) as refused:
        users.create_user("new@example.org", "official", "aaaaaaaaaa")
    assert refused.value.field == "password"


def bearer(client, email, password) -> dict:
    token = client.post("/api/v1/auth/token", json={"email": email, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def estimates(client, headers) -> int:
    return client.get("/api/v1/waves/none/estimates", headers=headers).status_code  # 404 when the token works


def test_changing_the_password_needs_the_current_one(client, make_user):
    user, password = make_user("official")
    login(client, user.email, password)
    wrong = client.post("/account/password", data={"current_password": "nope", "password": "lantern river pocket",
                                                   "confirm": "lantern river pocket"})
    assert wrong.status_code == 400 and "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    weak = client.post("/account/password", data={"current_password": password, "password": "aaaaaaaaaa",
                                                  "confirm": "aaaaaaaaaa"})
    assert weak.status_code == 400
    assert users.check_password(db.session.get(type(user), user.id), password)


def test_a_password_change_ends_other_sessions_and_api_tokens_but_not_this_one(app, client, make_user):
    user, password = make_user("official")
    other = app.test_client()
    login(other, user.email, password)
    headers = bearer(client, user.email, password)
    assert estimates(client, headers) == 404
    login(client, user.email, password)
    changed = client.post("/account/password", data={"current_password": password, "password": "lantern river pocket",
                                                     "confirm": "lantern river pocket"})
    assert changed.status_code == 302
    assert client.get("/dashboard/").status_code == 200
    assert other.get("/dashboard/").status_code == 302
    assert estimates(client, headers) == 401
    assert login(app.test_client(), user.email, "lantern river pocket").status_code == 302


def test_api_tokens_end_at_api_logout_and_at_deactivation(client, make_user):
    user, password = make_user("official")
    first, second = bearer(client, user.email, password), bearer(client, user.email, password)
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 204
    assert estimates(client, first) == 401 and estimates(client, second) == 404
    admin, _ = make_user("admin")
    users.update(user, role="official", active=False, actor=admin)
    db.session.commit()
    assert estimates(client, second) == 401


def reset_link(client, make_user):
    admin, admin_password = make_user("admin")
    user, _ = make_user("official")
    login(client, admin.email, admin_password)
    page = client.post(f"/admin/accounts/{user.id}/reset").get_data(as_text=True)
    client.post("/logout")
    token = page.split("/reset?token=", 1)[1].split("<", 1)[0].strip()
    return user, token


def test_a_reset_link_works_once_and_stores_only_a_keyed_hash(client, make_user):
    user, token = reset_link(client, make_user)
    assert len(token) >= 32
    row = db.session.scalar(select(PasswordReset))
    assert row.token_hash != token and token not in row.token_hash
    assert redact(f"GET /reset?token={token} HTTP/1.1") == "GET /reset?token=[redacted] HTTP/1.1"  # not in logs
    opened = client.get(f"/reset?token={token}")
    assert opened.status_code == 303 and opened.headers["Location"] == "/reset"  # the token leaves the URL
    set_new = client.post("/reset", data={"password": "lantern river pocket", "confirm": "lantern river pocket"})
    assert set_new.status_code == 302
    assert login(client, user.email, "lantern river pocket").status_code == 302
    client.post("/logout")
    assert client.get(f"/reset?token={token}").status_code == 404


def test_a_reset_link_refuses_weak_passwords_and_expires(client, make_user):
    user, token = reset_link(client, make_user)
    client.get(f"/reset?token={token}")
    assert client.post("/reset", data={"password": "1234567890", "confirm": "1234567890"}).status_code == 400
    row = db.session.scalar(select(PasswordReset))
    row.expires_at -= timedelta(hours=25)
    db.session.commit()
    assert client.get("/reset").status_code == 404
    assert client.get(f"/reset?token={token}").status_code == 404


def test_a_new_reset_link_cancels_the_earlier_one(client, make_user):
    admin, admin_password = make_user("admin")
    user, _ = make_user("official")
    first = users.create_reset(user, admin)
    second = users.create_reset(user, admin)
    db.session.commit()
    assert users.find_reset(first) is None and users.find_reset(second) is not None


def test_the_command_line_refuses_a_common_password_in_english(runner):
    result = runner.invoke(args=["users", "create", "cli@example.org", "--role", "admin", "--password-stdin"],
                           input="password2024\n")
    assert result.exit_code != 0 and "most common" in result.output


def test_production_hashes_cost_64_mib_and_hashes_of_another_cost_still_verify(app, make_user):
    user, password = make_user("admin")
    assert user.password_hash.startswith("$argon2id$v=19$m=1024,t=1,")  # the suite's cheap setting
    for name in ("PASSWORD_HASH_TIME_COST", "PASSWORD_HASH_MEMORY_KIB"):
        app.config[name] = DEFAULTS[name]
    assert users.hash_password(GOOD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.verify_password(user, password) and not users.verify_password(user, password + "x")
    assert not users.verify_password(None, password)
