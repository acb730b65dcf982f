"""The Alembic chain builds, removes and rebuilds the schema from an empty database."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from app.models import Base
from tests.conftest import DATABASE_URL, ON_POSTGRES, make_config

SCHEMA = "migration_roundtrip"


def _empty_database_url(tmp_path) -> str:
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
    engine = create_engine(DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
    engine.dispose()
    sep = "&" if "?" in DATABASE_URL else "?"
    return f"{DATABASE_URL}{sep}options=-csearch_path%3D{SCHEMA}"


def test_upgrade_downgrade_upgrade_from_empty_database(tmp_path):
    app = create_app(make_config(_empty_database_url(tmp_path)))
    with app.app_context():
        upgrade()
        assert "answer" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()
