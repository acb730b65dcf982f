"""Shared pieces of the admin request tests."""
from __future__ import annotations

from app.collect import store
from app.extensions import db
from app.models import Response
from app.programme.questionnaires import questionnaire_of
from tests import factories


def wave_with_responses(count: int = 3, agencies=None):
    """An open wave on sipas-2017 over A1 and A2 with `count` responses in A1 and one in A2."""
    agencies = agencies or [factories.agency("A1"), factories.agency("A2")]
    wave = factories.wave(agency_list=agencies)
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(count):
        store.store(wave, agencies[0], answers, channel="paper", language="vi")
    store.store(wave, agencies[1], answers, channel="kiosk", language="en")
    db.session.commit()
    return wave


def a_response(wave, agency_code: str) -> Response:
    return next(r for r in db.session.query(Response).filter_by(wave_id=wave.id) if r.agency_id ==
                next(a.id for a in wave.agencies if a.code == agency_code))
