"""Sampling-frame counts and population margins of a wave: typed in or from CSV, validated.

Counts are transactions per agency (optionally per stratum, e.g. a service field) for the design
weights N_h / n_h; margins are population totals per variable and category for raking. Every
write replaces the wave's whole set, all rows or none.
"""
from __future__ import annotations

import math
from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Agency, FrameCount, Margin, User, Wave
from app.programme.questionnaires import questionnaire_of
from app.shared import audit, numbers
from app.shared.csvio import ImportRejected, RowError, read_rows
from app.shared.upload_bounds import MAX_FRAME_ROWS, MAX_MARGIN_ROWS, at_most
from survey_definitions.questiontypes import choices

MAX_COUNT = 10**9
META_VARIABLES = ("agency", "block", "channel")


def _whole(text: str) -> int | None:
    """A count as typed in the interface language ("3.500" in Vietnamese, "3,500" in English)."""
    try:
        number = numbers.parse_int_text(text, machine=True)
    except numbers.NumberError:
        return None
    return number if 0 <= number <= MAX_COUNT else None


def frame_rows(wave: Wave) -> list[tuple[str, str, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Agency.code, FrameCount.stratum, FrameCount.transactions)
        .join(Agency, Agency.id == FrameCount.agency_id).where(FrameCount.wave_id == wave.id)
        .order_by(Agency.code, FrameCount.stratum)).all()]


def parse_counts(wave: Wave, rows: list[tuple[int, dict]]) -> list[tuple[Agency, str, int]]:
    """(line, {agency, stratum, transactions}) → validated rows; ImportRejected names each problem."""
    scope = {a.code: a for a in wave.agencies}
    errors, parsed, seen = [], [], set()
    for line, row in rows:
        if "__extra__" in row:
            errors.append(RowError(line, None, _("more values than columns")))
            continue
        code, stratum, raw = row.get("agency", ""), row.get("stratum", "")[:80], row.get("transactions", "")
        if code not in scope:
            errors.append(RowError(line, "agency", _("'%(code)s' is not an agency of wave %(slug)s",
                                                     code=code, slug=wave.slug)))
        if (code, stratum) in seen:
            errors.append(RowError(line, "stratum", _("this agency and stratum appear twice")))
        seen.add((code, stratum))
        number = _whole(raw)
        if number is None:
            message = (_("counts cannot be negative") if raw.strip().startswith("-")
                       else _("expected a whole number of transactions (0 or more), e.g. %(example)s",
                              example=numbers.example(3500)))
            errors.append(RowError(line, "transactions", message))
        if code in scope and number is not None:
            parsed.append((scope[code], stratum, number))
    if errors:
        raise ImportRejected(errors)
    return parsed


def set_frame_counts(wave: Wave, rows: list[tuple[int, dict]], actor: User | None = None) -> int:
    parsed = parse_counts(wave, rows)
    before = {"rows": len(frame_rows(wave))}
    db.session.execute(delete(FrameCount).where(FrameCount.wave_id == wave.id))
    for agency, stratum, number in parsed:
        db.session.add(FrameCount(wave_id=wave.id, agency_id=agency.id, stratum=stratum, transactions=number))
    wave.mark_data_changed()  # the design weights change
    db.session.flush()
    audit.record("wave.frame_counts", "wave", wave.slug, user=actor, before=before,
                 after={"rows": len(parsed), "transactions": sum(n for _, _, n in parsed)})
    return len(parsed)


def import_counts(wave: Wave, data: bytes | str, actor: User | None = None) -> int:
    _columns, rows = read_rows(data, required=("agency", "transactions"))
    return set_frame_counts(wave, at_most(rows, MAX_FRAME_ROWS, _("rows of frame counts")), actor)


def margin_rows(wave: Wave) -> list[tuple[str, str, float]]:
    return [tuple(r) for r in db.session.execute(
        select(Margin.variable, Margin.category, Margin.total).where(Margin.wave_id == wave.id)
        .order_by(Margin.variable, Margin.category)).all()]


def _categories(wave: Wave, variable: str) -> set[str] | None:
    """Allowed categories of a margin variable; None = unknown variable."""
    if variable == "agency":
        return {a.code for a in wave.agencies}
    if variable == "block":
        return {a.block.code for a in wave.agencies}
    if variable == "channel":
        return set(wave.channels or [])
    questionnaire = questionnaire_of(wave.survey_version)
    try:
        question = questionnaire.question(variable)
    except KeyError:
        return None
    points = choices(question, questionnaire.scales)
    return {str(c.value) for c in points} if points else None


def parse_margins(wave: Wave, rows: list[tuple[int, dict]]) -> list[tuple[str, str, float]]:
    errors, parsed, seen = [], [], set()
    totals: dict[str, float] = defaultdict(float)
    first_line: dict[str, int] = {}
    for line, row in rows:
        if "__extra__" in row:
            errors.append(RowError(line, None, _("more values than columns")))
            continue
        variable, category, raw = row.get("variable", ""), row.get("category", ""), row.get("total", "")
        allowed = _categories(wave, variable)
        if allowed is None:
            errors.append(RowError(line, "variable", _("'%(variable)s' is not agency, block, channel or a question with fixed answers",
                                                       variable=variable)))
        elif category not in allowed:
            errors.append(RowError(line, "category", _("'%(category)s' is not a category of %(variable)s (expected one of %(items)s)",
                                                       category=category, variable=variable, items=', '.join(sorted(allowed)[:12]))))
        if (variable, category) in seen:
            errors.append(RowError(line, "category", _("this variable and category appear twice")))
        seen.add((variable, category))
        try:  # as typed in the interface language; a machine-written 1234.5 too
            total = float(numbers.parse_decimal_text(raw, machine=True))
        except numbers.NumberError:
            total = math.nan
        if not math.isfinite(total) or total < 0:
            errors.append(RowError(line, "total", _("totals cannot be negative") if total < 0
                                   else _("expected a number (0 or more)")))
            continue
        totals[variable] += total
        first_line.setdefault(variable, line)
        parsed.append((variable, category, total))
    if len(totals) > 1:
        reference = max(totals.values())
        for variable, total in totals.items():
            if abs(total - reference) > max(0.5, 1e-6 * reference):
                errors.append(RowError(first_line[variable], "total",
                                       _("the totals of %(variable)s add up to %(total)g, other variables to %(reference)g: every variable must describe the same population",
                                         variable=variable, total=total, reference=reference)))
    if errors:
        raise ImportRejected(errors)
    return parsed


def set_margins(wave: Wave, rows: list[tuple[int, dict]], actor: User | None = None) -> int:
    parsed = parse_margins(wave, rows)
    db.session.execute(delete(Margin).where(Margin.wave_id == wave.id))
    for variable, category, total in parsed:
        db.session.add(Margin(wave_id=wave.id, variable=variable, category=category, total=total))
    wave.mark_data_changed()
    db.session.flush()
    audit.record("wave.margins", "wave", wave.slug, user=actor,
                 after={"variables": sorted({v for v, _, _ in parsed}), "rows": len(parsed)})
    return len(parsed)


def import_margins(wave: Wave, data: bytes | str, actor: User | None = None) -> int:
    _columns, rows = read_rows(data, required=("variable", "category", "total"))
    return set_margins(wave, at_most(rows, MAX_MARGIN_ROWS, _("rows of margins")), actor)
