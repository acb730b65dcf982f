"""Data cleaning: browse a wave's responses, exclude or restore one with a reason, codebooks."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, Response, User, Wave
from app.models.wave import CHANNELS
from app.programme.questionnaires import questionnaire_of
from app.results import rollup
from app.review import savfile
from app.review.exchange import exported_codes
from app.shared import audit, cells
from app.shared.paging import PAGE_SIZE, Page, paginate
from app.shared.refusal import Refusal
from survey_definitions.questiontypes import choices, offers_not_applicable


def browse(wave: Wave, *, agency_id: int | None = None, channel: str = "", date_from: date | None = None,
           date_to: date | None = None, excluded: bool | None = None, page: int = 1, size: int = PAGE_SIZE) -> Page:
    query = (select(Response, Agency.code).join(Agency, Agency.id == Response.agency_id)
             .where(Response.wave_id == wave.id))
    if agency_id is not None:
        query = query.where(Response.agency_id == agency_id)
    if channel in CHANNELS:
        query = query.where(Response.channel == channel)
    if date_from:
        query = query.where(Response.submitted_on >= date_from)
    if date_to:
        query = query.where(Response.submitted_on <= date_to)
    if excluded is not None:
        query = query.where(Response.excluded.is_(excluded))
    found = paginate(query.order_by(Response.id.desc()), page, size, scalars=False)
    return replace(found, items=[(r, code) for r, code in found.items])


def answers_of(response: Response) -> list[tuple[str, str, str]]:
    """(code, question text in vi, shown value) in questionnaire order; dossier digests are hidden."""
    wave = db.session.get(Wave, response.wave_id)
    questionnaire = questionnaire_of(wave.survey_version)
    stored = response.answers or {}
    out = []
    for question in questionnaire.questions:
        value = stored.get(question.code)
        if value is None:
            continue
        if question.type == "dossier_code":
            shown = "•••"
        elif value == "na":
            shown = "n/a"
        elif isinstance(value, list):
            shown = " ".join(str(v) for v in value)
        elif isinstance(value, str):
            shown = value
        else:
            points = {c.value: c.label for c in choices(question, questionnaire.scales) or ()}
            shown = f"{value}" + (f" — {points[value].vi}" if value in points else "")
        out.append((question.code, question.text, shown))
    return out


def set_excluded(response: Response, excluded: bool, reason: str, actor: User | None = None) -> None:
    """Exclude (or restore) a response from every estimate; the reason is kept in the audit log."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise Refusal("reason", _("give a reason (at least 3 characters)"))
    if response.excluded == excluded:
        raise Refusal("reason", _("the response is already excluded") if excluded
                         else _("the response is not excluded"))
    rollup.hold(db.session, db.session.get(Wave, response.wave_id))  # before the response's row
    before = {"excluded": response.excluded, "reason": response.exclusion_reason}
    response.excluded = excluded
    response.exclusion_reason = reason[:500] if excluded else None
    wave = db.session.get(Wave, response.wave_id)
    wave.mark_data_changed()
    db.session.flush()
    if excluded:  # its sums leave the roll-ups now; a restored response is added by the next update
        rollup.take_out(db.session, response)
    # (by number, never by receipt: the receipt a citizen holds must not lead to the row)
    audit.record("response.exclude" if excluded else "response.restore", "response", response.id,
                 user=actor, before=before, after={"excluded": excluded, "reason": reason[:500]})


def codebook_csv(wave: Wave, lang: str) -> str:
    """One row per exported column: code, section, type, question text, value labels."""
    questionnaire = questionnaire_of(wave.survey_version)
    pick = (lambda t: t.en) if lang == "en" else (lambda t: t.vi)
    out = io.StringIO()
    writer = cells.writer(out)  # text made inert for spreadsheets
    writer.writerow(["column", "section", "type", "text", "values", "satisfied", "not_applicable", "spss_note"])
    cuts = savfile.cut_notes(questionnaire)  # labels the .sav file holds shortened
    meta = {"response_id": "Response number", "agency": "Agency code", "block": "Block code",
            "channel": "Channel (link, kiosk, paper, online)", "language": "Language of the answers (vi, en)",
            "submitted_on": "Date submitted (day)", "weight": "Design weight (transactions ÷ responses)"}
    for column, text in meta.items():
        writer.writerow([column, "", "meta", text, "", "", "", ""])
    for code in exported_codes(questionnaire):
        question = questionnaire.question(code)
        points = choices(question, questionnaire.scales) or ()
        values = "; ".join(f"{c.value}={pick(c.label)}" for c in points)
        na = offers_not_applicable(question, questionnaire.scales)
        writer.writerow([code, questionnaire.section_of(code), question.type, pick(question.text), values,
                         " ".join(str(v) for v in questionnaire.satisfied_values(code)),
                         "blank" if na else "", cuts.get(code, "")])
    return out.getvalue()
