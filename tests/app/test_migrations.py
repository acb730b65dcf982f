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
        assert "response" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_answers_move_into_the_response_document_and_back(tmp_path):
    """0004 turns answer rows into the response's document and coded string; downgrade undoes it."""
    import json

    import survey_definitions

    definition = survey_definitions.load(next(p for p in survey_definitions.shipped() if "2017" in p.name)).to_dict()
    app = create_app(make_config(_empty_database_url(tmp_path)))
    with app.app_context():
        upgrade(revision="0003c")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO block (id, code, name_vi, name_en, position) VALUES (1, 'B', 'b', 'b', 1)"))
            conn.execute(text("INSERT INTO agency (id, code, name_vi, name_en, block_id, level, active) "
                              "VALUES (1, 'A1', 'a', 'a', 1, 1, true)"))
            conn.execute(text("INSERT INTO survey_version (id, slug, version, title_vi, title_en, definition, source, "
                              "checksum, status, created_at) VALUES (1, 's', 1, 't', 't', :d, '', 'c', 'published', "
                              "'2026-01-01')"), {"d": json.dumps(definition)})
            conn.execute(text("INSERT INTO wave (id, slug, name_vi, name_en, survey_version_id, period_start, period_end, "
                              "status, channels, settings, results_public, data_version, created_at) VALUES (1, 'w', "
                              "'w', 'w', 1, '2026-01-01', '2026-02-01', 'open', '[]', '{}', false, 1, '2026-01-01')"))
            conn.execute(text("INSERT INTO response (id, receipt, wave_id, survey_version_id, agency_id, stratum, "
                              "channel, language, submitted_on, excluded) VALUES (7, 'R', 1, 1, 1, '', 'paper', 'vi', "
                              "'2026-01-05', false)"))
            rows = [("f1_1", 5.0, None), ("f1_2", None, None), ("comments", None, "Tốt"), ("late", 1.0, None)]
            for code, value, text_ in rows:
                conn.execute(text("INSERT INTO answer (response_id, question_code, value, text) VALUES (7, :c, :v, :t)"),
                             {"c": code, "v": value, "t": text_})
        upgrade()
        with db.engine.connect() as conn:
            document, coded = conn.execute(text("SELECT answers, coded FROM response WHERE id = 7")).one()
        document = json.loads(document) if isinstance(document, str) else document
        assert document == {"f1_1": 5, "f1_2": "na", "comments": "Tốt", "late": 1}
        closed = survey_definitions.load(next(p for p in survey_definitions.shipped() if "2017" in p.name)).coded_questions
        assert len(coded) == len(closed) == 47
        assert {c: coded[closed.index(c)] for c in ("f1_1", "f1_2", "late", "f1_3")} == \
            {"f1_1": "5", "f1_2": "-", "late": "1", "f1_3": " "}
        downgrade(revision="0003c")
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT question_code, value, text FROM answer ORDER BY question_code")).all()
        assert sorted(map(tuple, back)) == sorted(rows)
        db.engine.dispose()
