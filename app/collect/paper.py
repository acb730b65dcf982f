"""Paper forms keyed in by desk staff (``entry`` accounts) for their own agency, or by administrators,
with optional double entry. Never by the rated agency's own account; every keying is audited.

With double entry (the wave's setting ``paper_double_entry``) a form counts only when two
consecutive keyings of the same form number agree and were made by two different people (the
independent double entry of survey practice: one person cannot confirm their own reading of a
form); until then it is pending and stores nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.cases import follow_up
from app.collect import store
from app.extensions import db
from app.models import Agency, PaperEntry, Response, SurveyVersion, User, Wave
from app.models.wave import WAVE_OPEN, wave_agency
from app.programme.questionnaires import questionnaire_of
from app.shared import audit
from app.shared.refusal import Refusal
from survey_definitions import Questionnaire

STORED, PENDING, MATCHED, MISMATCH = "single", "pending", "matched", "mismatch"
SAME_PERSON = "same_person"  # a keying that would confirm the same person's own keying: not stored
PROCESSING_UNIT = "processing_unit"  # the form's field (and a difference) naming the processing unit


@dataclass
class Outcome:
    status: str
    response: Response | None = None
    differences: list[str] = field(default_factory=list)


def double_entry(wave: Wave) -> bool:
    return wave.estimation.paper_double_entry


def pending_count(wave: Wave) -> int:
    """Forms keyed once and waiting for a confirming keying (nothing of them is counted yet)."""
    return db.session.scalar(select(func.count()).select_from(PaperEntry).where(
        PaperEntry.wave_id == wave.id, PaperEntry.response_id.is_(None))) or 0


def set_double_entry(wave: Wave, on: bool, actor: User | None = None) -> bool:
    """Switch double entry of the wave's paper forms; audited; flushes. Returns whether it changed.

    Switching it off leaves forms already keyed once pending: their next keying counts, by anyone.
    """
    before = double_entry(wave)
    if before == on:
        return False
    wave.change_settings(paper_double_entry=on)
    db.session.flush()
    audit.record("wave.paper_double_entry", "wave", wave.slug, user=actor,
                 before={"paper_double_entry": before},
                 after={"paper_double_entry": on, "pending_forms": pending_count(wave)})
    return True


def waves_for(agency: Agency) -> list[Wave]:
    rows = db.session.scalars(select(Wave).join(wave_agency, wave_agency.c.wave_id == Wave.id)
                              .where(wave_agency.c.agency_id == agency.id, Wave.status == WAVE_OPEN)
                              .order_by(Wave.period_start.desc()))
    return [w for w in rows if "paper" in (w.channels or [])]


def wave_for(slug: str, agency: Agency) -> Wave | None:
    return next((w for w in waves_for(agency) if w.slug == slug), None)


_layouts: dict[str, Questionnaire] = {}


def layout(version: SurveyVersion) -> Questionnaire:
    """The questionnaire with every section on one page, as staff key in a whole paper form."""
    q = questionnaire_of(version)
    if q.checksum not in _layouts:
        _layouts[q.checksum] = Questionnaire(q.definition.model_copy(update={"one_page": True}))
    return _layouts[q.checksum]


def asks_processing_unit(wave: Wave) -> bool:
    """Per-case forms name the unit that processed the dossier when it is not the receiving one."""
    return questionnaire_of(wave.survey_version).definition.kind == "per_case"


def enter(wave: Wave, agency: Agency, user: User, form_number: str, cleaned: dict[str, Any],
          processing: Agency | None = None) -> Outcome:
    """Record one keying of a paper form (``processing``: the unit that processed the dossier, if
    not ``agency``, the receiving one); flushes, the caller commits once.

    Raises Refusal when the form number has already been counted, and IntegrityError when
    the same new form number is keyed at the same moment by someone else.
    """
    outcome = _enter(wave, agency, user, form_number, cleaned, processing)
    audit.record("paper.enter", "wave", wave.slug, user=user,
                 after={"agency": agency.code, "form_number": form_number, "status": outcome.status,
                        "count": 1 if outcome.response is not None else 0,
                        **({PROCESSING_UNIT: processing.code} if processing is not None else {})})
    return outcome


def _enter(wave: Wave, agency: Agency, user: User, form_number: str, cleaned: dict[str, Any],
           processing: Agency | None) -> Outcome:
    processing_id = processing.id if processing is not None else None
    entry = db.session.scalar(select(PaperEntry).where(
        PaperEntry.wave_id == wave.id, PaperEntry.agency_id == agency.id, PaperEntry.form_number == form_number))
    if entry is None:
        entry = PaperEntry(wave_id=wave.id, agency_id=agency.id, form_number=form_number,
                           first_answers=cleaned, first_user_id=user.id, status=PENDING,
                           processing_agency_id=processing_id)
        db.session.add(entry)
        db.session.flush()
        if double_entry(wave):
            return Outcome(PENDING)
        return _count(entry, wave, agency, cleaned, STORED, processing)
    if entry.response_id is not None:
        raise Refusal("form_number", _("already counted"), 409)
    if not double_entry(wave):  # keyed once under double entry, since switched off: this keying counts
        entry.first_answers, entry.first_user_id = cleaned, user.id
        entry.processing_agency_id = processing_id
        return _count(entry, wave, agency, cleaned, STORED, processing)
    if entry.first_user_id == user.id:
        return Outcome(SAME_PERSON)
    differences = sorted(code for code in set(entry.first_answers) | set(cleaned)
                         if entry.first_answers.get(code) != cleaned.get(code))
    if entry.processing_agency_id != processing_id:
        differences.append(PROCESSING_UNIT)
    if differences:
        # The latest keying becomes the one to confirm: two consecutive agreeing keyings count.
        entry.first_answers, entry.first_user_id, entry.status = cleaned, user.id, MISMATCH
        entry.processing_agency_id = processing_id
        db.session.flush()
        return Outcome(MISMATCH, differences=differences)
    entry.second_user_id = user.id
    return _count(entry, wave, agency, cleaned, MATCHED, processing)


def _count(entry: PaperEntry, wave: Wave, agency: Agency, cleaned: dict[str, Any], status: str,
           processing: Agency | None = None) -> Outcome:
    keyer = entry.second_user_id or entry.first_user_id
    response = store.store(wave, agency, cleaned, channel="paper", language="vi", processing=processing,
                           signal=store.Signal(f"paper:{keyer}" if keyer else None))
    # a dissatisfied overall rating with a comment: the unit's case, as from every channel
    follow_up.open_cases(wave, agency, questionnaire_of(wave.survey_version), cleaned, None, "vi")
    entry.response_id, entry.status = response.id, status
    db.session.flush()
    return Outcome(status, response=response)
