"""Test factories: small, real objects in the database."""
from __future__ import annotations

from datetime import date

from app import demo
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
