"""The demo's bulk seed (app/demo_rows.py): rows exactly as store.row() builds them, skip logic
respected, the same rows from the same seed on SQLite (executemany) and PostgreSQL (COPY)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import select, text

from app import create_app, demo
from app.collect import store
from app.extensions import db
from app.models import Agency, Response, Wave
from app.programme.questionnaires import questionnaire_of
from survey_definitions import NOT_APPLICABLE, clean_answers, evaluate
from tests.conftest import make_config

COLUMNS = ("channel", "language", "submitted_on", "stratum", "invitation_id", "excluded", "exclusion_reason",
           "client_key", "client_digest", "answers", "coded")


def seeded_rows(responses: int, seed_value: int) -> list[tuple]:
    demo.seed(responses=responses, seed_value=seed_value, password="Demo-password-1", year=2025)
    db.session.commit()
    found = db.session.execute(select(Agency.code, *(getattr(Response, c) for c in COLUMNS))
                               .join(Agency, Agency.id == Response.agency_id).order_by(Response.id)).all()
    return [tuple(r) for r in found]


def test_every_row_is_what_store_row_builds_for_its_answers(app):
    rows = seeded_rows(600, 7)
    waves = {w.id: w for w in db.session.scalars(select(Wave))}
    demo_wave = next(w for w in waves.values() if w.slug == "demo")
    raw = dict(db.session.execute(text("SELECT id, answers FROM response")).all())
    stored = db.session.execute(select(Response).order_by(Response.id)).scalars().all()
    # the open wave as --responses says, and the old provinces' four waves (app/demo_units.py)
    assert 580 <= sum(r.wave_id == demo_wave.id for r in stored) <= 700
    assert len(waves) == 5 and len(rows) == len(stored) > 700
    for response in stored:
        wave = waves[response.wave_id]
        questionnaire = questionnaire_of(wave.survey_version)
        answers = response.answers
        expected = store.row(questionnaire, answers, wave_id=wave.id, survey_version_id=wave.survey_version_id,
                             agency_id=response.agency_id, channel=response.channel, language=response.language,
                             submitted_on=response.submitted_on)
        # (rolled: whether the roll-ups hold the response, written by them, never by a seed)
        got = {c.key: getattr(response, c.key) for c in Response.__table__.c if c.key not in ("id", "rolled")}
        assert len(got["receipt"]) == 16 and got["receipt"] == got["receipt"].upper()
        assert {k: v for k, v in got.items() if k != "receipt"} == \
            {k: v for k, v in expected.items() if k != "receipt"}
        if isinstance(raw[response.id], str):  # SQLite keeps the text: json.dumps of the same dict
            assert raw[response.id] == json.dumps(expected["answers"])
        # every answer is valid and shown: the skip logic holds
        assert clean_answers(questionnaire, answers)[1] == []
        for code in answers:
            assert evaluate(questionnaire.question(code).show_if, answers), code
        # dated inside the wave's period (2025: the open wave starts with the merger, 1 July)
        assert wave.period_start <= response.submitted_on <= wave.period_end
        assert response.agency_id in {a.id for a in wave.agencies}
    assert len({r.receipt for r in stored}) == len(stored)


def test_the_answer_model_has_its_shape(app):
    rows = seeded_rows(3000, 11)
    answers = [r[-2] for r in rows]
    late = np.array([a.get("late") == 1 for a in answers])
    apology = np.array(["apology" in a for a in answers])
    assert 0.02 < late.mean() < 0.07 and not (apology & ~late).any() and apology[late].mean() > 0.8
    na = np.mean([a.get("f1_1") == NOT_APPLICABLE for a in answers])
    assert 0.03 < na < 0.07
    rated = np.array([a["f1_1"] for a in answers if a.get("f1_1") != NOT_APPLICABLE])
    assert set(np.unique(rated)) <= {1, 2, 3, 4, 5} and 0.5 < np.mean(rated >= 4) < 0.95
    assert 0.6 < np.mean(["visits" in a for a in answers]) < 0.99  # optional: ~10 % blank
    kinds = [a["harassment_kinds"] for a in answers if "harassment_kinds" in a]
    assert kinds and all(k == sorted(k) and k for k in kinds)  # options in order, at least one
    assert all(a.get("harassed") == 1 for a in answers if "harassment_kinds" in a)
    assert np.mean([r[2] == "en" for r in rows]) < 0.08


def test_same_seed_same_rows(app):
    first = seeded_rows(400, 5)
    db.session.execute(text("DELETE FROM response"))
    db.session.commit()
    wave = db.session.scalar(select(Wave).where(Wave.slug == "demo"))
    db.session.execute(text("DELETE FROM frame_count"))
    db.session.delete(wave)
    db.session.commit()
    assert seeded_rows(400, 5) == first


@pytest.mark.postgres
def test_postgresql_copy_and_sqlite_inserts_give_the_same_rows(app, tmp_path):
    """Run in the PostgreSQL pass: the app fixture is on PostgreSQL (COPY), a second app on SQLite."""
    assert db.engine.dialect.name == "postgresql"
    on_postgres = seeded_rows(500, 3)
    from flask_migrate import upgrade

    other = create_app(make_config(f"sqlite:///{tmp_path / 'demo.sqlite'}"))
    with other.app_context():
        upgrade()
        on_sqlite = seeded_rows(500, 3)
        db.session.remove()
        db.engine.dispose()
    assert len(on_postgres) == len(on_sqlite) > 450
    assert on_postgres == on_sqlite
