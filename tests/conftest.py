"""Shared fixtures: an app on a real database (SQLite by default, PostgreSQL with DATABASE_URL).

The schema is built once per session through the Alembic migrations, exactly as production
builds it; every test then starts from empty tables.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from app import create_app
from app.extensions import db
from app.models import Base

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = SERVER_URL.startswith("postgresql")
# Under pytest-xdist each worker has its own PostgreSQL database beside the named one (test_gw0,
# test_gw1, ...), created afresh for the session; without workers, the named database itself.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
DATABASE_URL = (make_url(SERVER_URL).set(database=f"{make_url(SERVER_URL).database}_{WORKER}")
                .render_as_string(hide_password=False) if ON_POSTGRES and WORKER else SERVER_URL)


def pytest_sessionstart(session):
    """This worker's own database, created before any test (some build their schema in it)."""
    if not (ON_POSTGRES and WORKER):
        return
    name = make_url(DATABASE_URL).database
    server = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs in the CI pass with DATABASE_URL=postgresql+psycopg:///test")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if ON_POSTGRES:
        engine = create_engine(DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        return DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def make_config(database_url: str, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "http://localhost",
        "RESULTS_REFRESH_SECONDS": 0,  # every test sees its own responses at once
        # cheap password hashes: the suite makes and checks about a thousand (production: 3 × 64 MiB,
        # tests/app/test_passwords.py checks that default)
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 1024,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _schema(database_url):
    from flask_migrate import upgrade

    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app_config():
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(_schema, app_config):
    app = create_app(make_config(_schema, **app_config))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        _forget_computed_results()


def _forget_computed_results() -> None:
    """Results are cached per (wave id, data version); emptied tables reuse ids, so forget them."""
    from app.results import snapshot

    snapshot.forget_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user(role, agency=None) -> (User, password), committed."""
    from app.accounts import users

    counter = iter(range(1, 1000))

    def make(role: str = "admin", agency=None, email: str | None = None):
        password = "Correct-horse-42"
        user = users.create_user(email or f"{role}{next(counter)}@example.org", role, password,
                                 agency_code=agency.code if agency is not None else None)
        db.session.commit()
        return user, password

    return make


def login(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def login_as(client, make_user):
    """login_as(role, agency=None) -> User: creates the account and logs the test client in."""

    def do(role: str = "admin", agency=None):
        user, password = make_user(role, agency)
        response = login(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return do
