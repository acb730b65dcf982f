"""Fixtures shared by the app tests: a published wave, one invitation to it, satisfied answers.
A module that needs another wave defines its own `wave` (pytest takes the nearest)."""
from __future__ import annotations

import pytest

from app.collect import invitations
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


@pytest.fixture
def token(wave):
    issued = invitations.issue(wave, wave.agencies[0], 1)
    db.session.commit()
    return issued[0].token


@pytest.fixture
def answers(wave):
    return factories.satisfied_answers(questionnaire_of(wave.survey_version))
