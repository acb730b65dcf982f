"""Integrity checks (issue 19): flags on responses, each with a stated reason, and flags on units.

A flag is a reason for an administrator to look, never a decision: nothing is dropped until an
administrator excludes it (app/review/integrity_review.py). The checks read the answers' coded
strings and the submissions' signals (app/models/integrity.py), never anybody's identity.

Reasons on a response:
- ``burst_source``: one of at least INTEGRITY_BURST_COUNT submissions from one kiosk key or one
  paper keyer within INTEGRITY_BURST_MINUTES;
- ``burst_address``: the same from one (hashed) client address: a shared address (a centre's
  Wi-Fi) is a reason to look, never to drop;
- ``off_hours``: a kiosk answer outside the desk's opening hours or on a day off (the working-day
  calendar of app/cases/calendar.py; INTEGRITY_OPENING_HOURS, INTEGRITY_SATURDAY_HOURS);
- ``dossier_other_unit``: a Decree 118 dossier code of another unit than the rated one (its
  one-stop code); ``dossier_future``: a dossier received after the rating;
  ``dossier_before_completion``: a dossier the one-stop system reported complete (its invitation,
  issued per completed dossier with its code) only after the rating;
- ``speeder``: the form took less than INTEGRITY_SPEED_FRACTION of the median of its channel;
- ``straight_line``: one answer on all of at least INTEGRITY_MIN_ITEMS scale questions, and
  ``low_variability``: their standard deviation below INTEGRITY_MIN_IRV — both only when some
  answer lies below the top two points of the scale or another reason holds too: in a survey near
  99 % satisfied, "satisfied throughout" alone is what most honest respondents answer;
- ``duplicate_comment``: the same comment text (INTEGRITY_COMMENT_MIN_CHARS or longer: stock
  phrases such as "Cán bộ nhiệt tình, chu đáo." repeat honestly) in another response of the
  same unit.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, insert, select

from app.cases import calendar
from app.collect.store import decode
from app.extensions import db
from app.models import Agency, Invitation, Response, ResponseFlag, ResponseSignal, Wave
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of

REASONS = ("burst_source", "burst_address", "off_hours", "dossier_other_unit", "dossier_future",
           "dossier_before_completion", "speeder",
           "straight_line", "low_variability", "duplicate_comment")
PATTERN_REASONS = ("straight_line", "low_variability")


def _setting(name: str):
    return current_app.config[name]


def _hours(text: str) -> tuple[time, time] | None:
    if not text:
        return None
    start, _sep, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def _bursts(rows: list[tuple[int, datetime]], count: int, minutes: int) -> dict[int, int]:
    """Response id → the size of the largest window of ``minutes`` holding it, for windows of at
    least ``count`` submissions (rows of one source, any order)."""
    rows = sorted(rows, key=lambda r: r[1])
    times = [r[1] for r in rows]
    hit: dict[int, int] = {}
    j = 0
    for i in range(len(rows)):
        if j < i:
            j = i
        while j + 1 < len(rows) and times[j + 1] - times[i] < timedelta(minutes=minutes):
            j += 1
        size = j - i + 1
        if size >= count:
            for k in range(i, j + 1):
                hit[rows[k][0]] = max(hit.get(rows[k][0], 0), size)
    return hit


def _normal_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text)).strip()


def _working(day, special) -> bool:
    return calendar.is_working_day(day, special)


def response_reasons(wave: Wave) -> dict[int, dict[str, str]]:
    """Response id → {reason: detail} for the wave's responses (those excluded for another reason
    than integrity review left out)."""
    questionnaire = questionnaire_of(wave.survey_version)
    coded = questionnaire.coded_questions
    # the answer patterns are read on the scale most questions share (the satisfaction items)
    by_scale = defaultdict(list)
    for i, code in enumerate(coded):
        question = questionnaire.question(code)
        if question.type == "scale":
            by_scale[question.scale].append(i)
    scale = max(by_scale, key=lambda name: len(by_scale[name]), default=None)
    scale_positions = by_scale.get(scale, [])
    top = max((c.value for c in questionnaire.scales[scale].points), default=0) if scale else 0
    text_codes = [q.code for q in questionnaire.questions if q.type == "text"]
    rows = db.session.execute(
        select(Response.id, Response.agency_id, Response.channel, Response.coded, Response.answers,
               ResponseSignal.submitted_at, ResponseSignal.source, ResponseSignal.address,
               ResponseSignal.duration_seconds, ResponseSignal.dossier_unit, ResponseSignal.dossier_day,
               Response.submitted_on, Response.excluded, Response.exclusion_reason, Response.invitation_id)
        .outerjoin(ResponseSignal, ResponseSignal.response_id == Response.id)
        .where(Response.wave_id == wave.id)).all()
    rows = [r for r in rows if not r.excluded or (r.exclusion_reason or "").startswith(EXCLUSION_PREFIX)]
    one_stop = dict(db.session.execute(select(Agency.id, Agency.one_stop_code)
                                       .where(Agency.one_stop_code.is_not(None))).all())
    found: dict[int, dict[str, str]] = defaultdict(dict)
    count, minutes = int(_setting("INTEGRITY_BURST_COUNT")), int(_setting("INTEGRITY_BURST_MINUTES"))
    for column, reason in (("source", "burst_source"), ("address", "burst_address")):
        groups = defaultdict(list)
        for r in rows:
            if getattr(r, column) and r.submitted_at is not None:
                groups[getattr(r, column)].append((r.id, r.submitted_at))
        for members in groups.values():
            for rid, size in _bursts(members, count, minutes).items():
                found[rid][reason] = f"{size} / {minutes} min"
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    weekday_hours = _hours(_setting("INTEGRITY_OPENING_HOURS"))
    saturday_hours = _hours(_setting("INTEGRITY_SATURDAY_HOURS"))
    special = calendar.special_days()
    durations = defaultdict(list)
    for r in rows:
        if r.duration_seconds is not None:
            durations[r.channel].append(r.duration_seconds)
    medians = {ch: sorted(v)[len(v) // 2] for ch, v in durations.items() if len(v) >= 20}
    fraction = float(_setting("INTEGRITY_SPEED_FRACTION"))
    for r in rows:
        if r.channel == "kiosk" and r.submitted_at is not None and weekday_hours:
            local = r.submitted_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
            hours = saturday_hours if local.weekday() == 5 else weekday_hours
            open_day = _working(local.date(), special) or (local.weekday() == 5 and saturday_hours is not None
                                                           and special.get(local.date()) != "holiday")
            if not open_day or hours is None or not hours[0] <= local.time() <= hours[1]:
                found[r.id]["off_hours"] = local.strftime("%a %H:%M")
        code = one_stop.get(r.agency_id)
        if r.dossier_unit and code and not (r.dossier_unit == code or r.dossier_unit.startswith(code + ".")):
            found[r.id]["dossier_other_unit"] = r.dossier_unit
        if r.dossier_day and r.dossier_day > r.submitted_on:
            found[r.id]["dossier_future"] = r.dossier_day.isoformat()
        median = medians.get(r.channel)
        if median and r.duration_seconds is not None and r.duration_seconds < fraction * median:
            found[r.id]["speeder"] = f"{r.duration_seconds} s / {median} s"
    _before_completion(wave, rows, sorted(questionnaire.dossier_codes), found)
    _patterns(rows, coded, scale_positions, top, found)
    _duplicates(rows, text_codes, found)
    return {rid: reasons for rid, reasons in found.items() if reasons}


def _patterns(rows, coded, scale_positions, top, found) -> None:
    import numpy as np  # reason: numpy, for the answer patterns

    min_items = int(_setting("INTEGRITY_MIN_ITEMS"))
    min_irv = float(_setting("INTEGRITY_MIN_IRV"))
    if len(scale_positions) < min_items or not rows:
        return
    values = decode([r.coded for r in rows], len(coded))[:, scale_positions]
    answered = ~np.isnan(values)
    n = answered.sum(axis=1)
    with np.errstate(invalid="ignore"):
        spread = np.nanstd(np.where(answered, values, np.nan), axis=1)
        satisfied = np.all(np.where(answered, values >= top - 1, True), axis=1)  # the top two points only
        same = np.nanmax(values, axis=1) == np.nanmin(values, axis=1)
    for k, r in enumerate(rows):
        if n[k] < min_items:
            continue
        other = bool(set(found.get(r.id, ())) - set(PATTERN_REASONS))
        if satisfied[k] and not other:  # "satisfied throughout" is what most honest respondents answer
            continue
        if same[k]:
            found[r.id]["straight_line"] = f"{int(n[k])} × {values[k][answered[k]][0]:g}"
        elif spread[k] < min_irv:
            found[r.id]["low_variability"] = f"sd {spread[k]:.2f}"


def _before_completion(wave: Wave, rows, codes: list[str], found) -> None:
    """A rating of a dossier the one-stop system reported complete only later: its invitation (the
    integration issues one per completed dossier, with its dossier code) was made after the rating."""
    digests = {r.id: [d for c in codes if isinstance(d := (r.answers or {}).get(c), str) and d != "na"]
               for r in rows if r.invitation_id is None and r.submitted_at is not None}
    wanted = {d for found_digests in digests.values() for d in found_digests}
    if not wanted:
        return
    completed = dict(db.session.execute(
        select(Invitation.dossier_digest, func.min(Invitation.created_at))
        .where(Invitation.wave_id == wave.id, Invitation.dossier_digest.in_(wanted))
        .group_by(Invitation.dossier_digest)).all())
    for r in rows:
        for digest in digests.get(r.id, ()):
            at = completed.get(digest)
            if at is not None and at - r.submitted_at > timedelta(minutes=1):
                found[r.id]["dossier_before_completion"] = at.strftime("%Y-%m-%d %H:%M UTC")


def _duplicates(rows, text_codes, found) -> None:
    shortest = int(_setting("INTEGRITY_COMMENT_MIN_CHARS"))
    seen = defaultdict(list)
    for r in rows:
        for code in text_codes:
            text = (r.answers or {}).get(code)
            if isinstance(text, str):
                normal = _normal_text(text)
                if len(normal) >= shortest:
                    seen[(r.agency_id, normal)].append(r.id)
    for ids in seen.values():
        if len(set(ids)) > 1:
            for rid in ids:
                found[rid]["duplicate_comment"] = f"{len(set(ids))} ×"


EXCLUSION_PREFIX = "integrity review"


def detect(wave: Wave) -> int:
    """Recompute the wave's response flags (in the caller's transaction); returns how many responses
    are flagged."""
    reasons = response_reasons(wave)
    now = utcnow()
    db.session.execute(delete(ResponseFlag).where(ResponseFlag.wave_id == wave.id))
    rows = [{"response_id": rid, "wave_id": wave.id, "reason": reason, "detail": detail[:300],
             "created_at": now}
            for rid, found in reasons.items() for reason, detail in sorted(found.items())]
    if rows:
        db.session.execute(insert(ResponseFlag), rows)
    return len(reasons)
