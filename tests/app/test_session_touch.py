"""The login session's idle clock is refreshed when the request is over, in a transaction of its
own: resolving the signed-in user (the role check, the page's layout) commits nothing, so a view
that fails, rolls back or stops half-way never gets its work committed through the touch."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Blueprint, abort
from sqlalchemy import event, func, select, update

from app.accounts.access import current_user, roles_required
from app.extensions import db
from app.models import LoginAttempt, UserSession
from app.models.base import utcnow

MARK = "probe@example.org"  # the row each probe view writes


def _write() -> None:
    db.session.add(LoginAttempt(email=MARK, address_hash="probe", success=True))
    db.session.flush()


@pytest.fixture
def app_with_probes(app):
    probe = Blueprint("touch_probe", __name__)

    @probe.get("/probe/refused")
    @roles_required("admin")
    def refused():
        _write()
        abort(409)

    @probe.get("/probe/crash")
    @roles_required("admin")
    def crash():
        _write()
        raise RuntimeError("the view failed half-way")

    @probe.get("/probe/rolled-back")
    @roles_required("admin")
    def rolled_back():
        _write()
        db.session.rollback()
        return "rolled back"

    @probe.get("/probe/half-done")
    @roles_required("admin")
    def half_done():
        _write()  # neither committed nor rolled back
        return "half done"

    @probe.get("/probe/user-read-late")
    def user_read_late():
        _write()
        current_user()  # as the layout does when the page is rendered, after the view's work
        abort(400)

    @probe.get("/probe/committed")
    @roles_required("admin")
    def committed():
        _write()
        db.session.commit()
        return "committed"

    app.register_blueprint(probe)
    return app


def stored(statement):
    """Read through a connection of its own: what is committed, whatever the test's session holds."""
    with db.engine.connect() as connection:
        return connection.execute(statement).scalar()


def age_session(minutes: float) -> None:
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


@pytest.mark.parametrize(("path", "status"), [("/probe/refused", 409), ("/probe/crash", 500),
                                              ("/probe/rolled-back", 200), ("/probe/half-done", 200),
                                              ("/probe/user-read-late", 400)])
def test_the_touch_lands_and_commits_nothing_of_the_view(app_with_probes, client, login_as, path, status):
    login_as("admin")
    age_session(5)
    before = utcnow()
    assert client.get(path).status_code == status
    assert stored(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == MARK)) == 0
    assert stored(select(UserSession.last_seen_at)) >= before - timedelta(seconds=1)


def test_a_view_that_commits_keeps_its_work_and_the_touch(app_with_probes, client, login_as):
    login_as("admin")
    age_session(5)
    before = utcnow()
    assert client.get("/probe/committed").status_code == 200
    assert stored(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == MARK)) == 1
    assert stored(select(UserSession.last_seen_at)) >= before - timedelta(seconds=1)


def test_a_recently_touched_session_is_not_written_again(app_with_probes, client, login_as):
    login_as("admin")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/probe/committed").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements and not [s for s in statements if s.lstrip().upper().startswith("UPDATE USER_SESSION")]


def test_an_idle_session_is_ended_when_the_request_is_over(app_with_probes, client, login_as):
    login_as("admin")
    age_session(31)
    assert client.get("/probe/committed").status_code == 302
    assert stored(select(UserSession.ended_at)) is not None
    assert stored(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == MARK)) == 0
