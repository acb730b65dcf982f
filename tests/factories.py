"""Test factories: small, real objects in the database."""
from __future__ import annotations

from datetime import date

import numpy as np

from app import demo
from app.collect import store
from app.extensions import db
from app.models import Agency, Wave
from app.programme import agencies, questionnaires


def published(slug: str = "sipas-2017"):
    versions = questionnaires.publish_shipped()
    return next(v for v in versions if v.slug == slug)


def agency(code: str = "A1", block: str = "departments", name: str | None = None) -> Agency:
    item = Agency(code=code, name_vi=name or f"Cơ quan {code}", name_en=name or f"Agency {code}",
                  block=agencies.ensure_block(block))
    db.session.add(item)
    db.session.flush()
    return item


def wave(slug: str = "w1", agency_list=None, survey: str = "sipas-2017", status: str = "open") -> Wave:
    item = Wave(slug=slug, name_vi=f"Đợt {slug}", name_en=f"Wave {slug}", survey_version=published(survey),
                period_start=date(2026, 1, 1), period_end=date(2026, 12, 31), status=status,
                channels=["link", "kiosk", "paper", "online"], settings={})
    item.agencies = agency_list if agency_list is not None else [agency()]
    db.session.add(item)
    db.session.flush()
    return item


def demo_wave(responses: int = 300) -> Wave:
    demo.seed(responses=responses, password="Demo-password-1")
    db.session.commit()
    return db.session.query(Wave).filter_by(slug="demo").one()


def satisfied_answers(questionnaire) -> dict:
    """A complete valid submission: every shown required question answered, scales at 5."""
    from survey_definitions.questiontypes import choices

    answers = {}
    for question in questionnaire.questions:
        if question.show_if:
            continue
        options = choices(question, questionnaire.scales)
        if question.type == "scale":
            answers[question.code] = max(questionnaire.satisfied_values(question.code) or [options[-1].value])
        elif question.type == "yes_no" and question.required:
            answers[question.code] = 0  # "no": stays off the conditional branches
        elif question.required:
            answers[question.code] = options[0].value if options else "1"
    return answers


def two_waves(points: tuple[dict[str, int], dict[str, int]], per_agency: int, seed: int) -> tuple[Wave, Wave]:
    """A closed wave of 2025 and an open one of 2026 over the same agencies (the keys of `points`);
    each agency's answers scatter ±1 around its point of that wave."""
    rng = np.random.default_rng(seed)
    units = [agency(code) for code in points[0]]
    first = wave("w2025", agency_list=units, status="closed")
    first.period_start, first.period_end = date(2025, 1, 1), date(2025, 12, 31)
    second = wave("w2026", agency_list=units)
    questionnaire = questionnaires.questionnaire_of(first.survey_version)
    for one, point in ((first, points[0]), (second, points[1])):
        for unit in units:
            for _ in range(per_agency):
                answers = satisfied_answers(questionnaire)
                for code in questionnaire.rated_items:
                    answers[code] = int(np.clip(point[unit.code] + rng.integers(-1, 2), 1, 5))
                store.store(one, unit, answers, channel="paper", language="vi")
    db.session.commit()
    return first, second


def case_units() -> tuple[Wave, Agency, Agency]:
    """A wave over two units, "OWN" and "OTHER": the feedback-case tests' unit scoping."""
    own, other = agency("OWN"), agency("OTHER")
    item = wave("cases", agency_list=[own, other])
    db.session.commit()
    return item, own, other


def invitations(wave: Wave, unit: Agency, channel: str, count: int, *, status: str | None = None,
                opened: int = 0, created=None) -> list:
    """``count`` invitations of ``unit`` in ``wave`` sent by ``channel`` (email|sms|zalo|link), the
    first ``opened`` of them opened; with ``status``, each with its "invitation" outbox message in
    that status (as the outbox worker leaves it). Answer one with store.store(..., invitation=...)."""
    import secrets
    from datetime import datetime, timedelta

    from app.models import Invitation, OutboxMessage

    made = datetime(2026, 3, 2, 9, 0) if created is None else created
    rows = [Invitation(token_hash=secrets.token_hex(32), wave_id=wave.id, agency_id=unit.id, channel=channel,
                       created_at=made, expires_at=made + timedelta(days=60),
                       opened_at=made + timedelta(hours=2) if i < opened else None) for i in range(count)]
    db.session.add_all(rows)
    db.session.flush()
    if status is not None:
        db.session.add_all(OutboxMessage(idempotency_key=f"invitation:{row.id}", kind="invitation", channel=channel,
                                         wave_id=wave.id, agency_id=unit.id, invitation_id=row.id, status=status)
                           for row in rows)
        db.session.flush()
    return rows
