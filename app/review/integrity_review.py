"""The integrity review queue (issue 19): flagged responses by reason and unit, an administrator's
keep or exclude (with the reason, audited, reversible, in bulk for a burst), and flags on units.

An excluded response leaves every "after review" figure through the same exclusion as data
cleaning (app/review/cleaning.set_excluded), with a reason starting "integrity review"; the "as
collected" figures add these responses back (app/results/views.py)."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.collect.store import decode
from app.extensions import db
from app.models import Agency, FlagDecision, Response, ResponseFlag, ResponseSignal, User, Wave
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from app.review import cleaning
from app.review.integrity import EXCLUSION_PREFIX, detect
from app.shared import audit
from app.shared.refusal import Refusal

MAX_BULK = 5000
REASON_LABELS = {
    "burst_source": _l("Burst from one kiosk or keyer"),
    "burst_address": _l("Burst from one address (shared Wi-Fi is a reason to look, not to drop)"),
    "off_hours": _l("Kiosk answer outside opening hours"),
    "dossier_other_unit": _l("Dossier code of another unit"),
    "dossier_future": _l("Dossier received after the rating"),
    "dossier_before_completion": _l("Rated before the dossier was completed"),
    "speeder": _l("Much faster than usual"),
    "straight_line": _l("The same answer to every question"),
    "low_variability": _l("Almost the same answer to every question"),
    "duplicate_comment": _l("The same comment as another response"),
    "top_share_level": _l("Share of top answers far from its level's"),
    "top_share_history": _l("Share of top answers far from its own history"),
    "volume_jump": _l("Sudden jump in volume by one channel"),
}


@dataclass(frozen=True)
class Flagged:
    response_id: int
    agency: str
    channel: str
    reasons: dict[str, str]
    decision: str | None
    excluded: bool


def ensure_checked(wave: Wave) -> None:
    """Run the checks if they never ran for this wave (the page and the API then read stored flags)."""
    if db.session.scalar(select(func.count()).select_from(ResponseFlag).where(ResponseFlag.wave_id == wave.id)) == 0 \
            and not wave.settings.get("integrity_checked_at"):
        run(wave)


def run(wave: Wave, actor: User | None = None) -> int:
    flagged = detect(wave)
    wave.change_settings(integrity_checked_at=utcnow().isoformat(timespec="minutes"))
    audit.record("integrity.check", "wave", wave.slug, user=actor, after={"flagged": flagged})
    return flagged


def before_close(wave: Wave, actor: User | None = None) -> int:
    """Closing a wave: run the checks a last time (their flags stay for the review), then delete
    the wave's submission signals (times, source and address digests, dossier parts): they were
    kept only for these checks. Returns the signals deleted."""
    run(wave, actor)
    gone = db.session.execute(delete(ResponseSignal).where(ResponseSignal.response_id.in_(
        select(Response.id).where(Response.wave_id == wave.id)))).rowcount or 0
    audit.record("integrity.signals_deleted", "wave", wave.slug, user=actor, after={"count": gone})
    return gone


def flagged(wave: Wave, *, agency_id: int | None = None, reason: str | None = None) -> list[Flagged]:
    query = (select(ResponseFlag.response_id, ResponseFlag.reason, ResponseFlag.detail, Agency.code, Response.channel,
                    FlagDecision.decision, Response.excluded)
             .join(Response, Response.id == ResponseFlag.response_id)
             .join(Agency, Agency.id == Response.agency_id)
             .outerjoin(FlagDecision, FlagDecision.response_id == ResponseFlag.response_id)
             .where(ResponseFlag.wave_id == wave.id).order_by(ResponseFlag.response_id))
    if agency_id is not None:
        query = query.where(Response.agency_id == agency_id)
    rows = db.session.execute(query).all()
    by_id: dict[int, dict] = {}
    for rid, why, detail, code, channel, decision, excluded in rows:
        entry = by_id.setdefault(rid, {"agency": code, "channel": channel, "reasons": {}, "decision": decision,
                                       "excluded": excluded})
        entry["reasons"][why] = detail
    out = [Flagged(rid, e["agency"], e["channel"], e["reasons"], e["decision"], e["excluded"]) for rid, e in by_id.items()]
    return [f for f in out if reason is None or reason in f.reasons]


def groups(items: list[Flagged]) -> list[tuple[str, str, int, int]]:
    """(reason, agency, flagged, excluded) per group, largest first."""
    counts: Counter = Counter()
    excluded: Counter = Counter()
    for item in items:
        for why in item.reasons:
            counts[(why, item.agency)] += 1
            excluded[(why, item.agency)] += int(item.decision == "exclude")
    return sorted(((r, a, n, excluded[(r, a)]) for (r, a), n in counts.items()), key=lambda g: (-g[2], g[0], g[1]))


def decide(wave: Wave, response_ids: list[int], decision: str, note: str, actor: User) -> int:
    """Keep or exclude these flagged responses of the wave (exclude: with the note; keep after an
    exclusion restores them). Returns how many changed; refuses ids that are not flagged here."""
    note = (note or "").strip()
    if decision not in ("keep", "exclude"):
        raise Refusal("decision", _("choose keep or exclude"))
    if decision == "exclude" and len(note) < 3:
        raise Refusal("note", _("give a reason (at least 3 characters)"))
    ids = sorted(set(response_ids))
    if not ids:
        raise Refusal("response", _("choose at least one response"))
    if len(ids) > MAX_BULK:
        raise Refusal("response", _("at most %(n)s responses at once", n=MAX_BULK))
    reasons = defaultdict(list)
    for rid, why in db.session.execute(select(ResponseFlag.response_id, ResponseFlag.reason)
                                       .where(ResponseFlag.wave_id == wave.id, ResponseFlag.response_id.in_(ids))):
        reasons[rid].append(why)
    missing = [rid for rid in ids if rid not in reasons]
    if missing:
        raise Refusal("response", _("response %(id)s is not flagged in this wave", id=missing[0]))
    changed = 0
    for response in db.session.scalars(select(Response).where(Response.id.in_(ids)).order_by(Response.id)):
        by_review = (response.exclusion_reason or "").startswith(EXCLUSION_PREFIX)
        if decision == "exclude" and not response.excluded:
            text = f"{EXCLUSION_PREFIX} ({', '.join(sorted(reasons[response.id]))}): {note}"
            cleaning.set_excluded(response, True, text, actor)
            changed += 1
        elif decision == "keep" and response.excluded and by_review:
            cleaning.set_excluded(response, False, f"{EXCLUSION_PREFIX}: kept: {note or '-'}", actor)
            changed += 1
        row = db.session.get(FlagDecision, response.id)
        if row is None:
            row = FlagDecision(response_id=response.id, wave_id=wave.id)
            db.session.add(row)
        row.decision, row.note, row.user_id, row.decided_at = decision, note[:500], actor.id, utcnow()
    audit.record("integrity.decide", "wave", wave.slug, user=actor,
                 after={"decision": decision, "count": len(ids), "changed": changed, "note": note[:200]})
    db.session.flush()
    return changed


def excluded_summary(wave: Wave) -> list[tuple[str, int]]:
    """What review excluded, by reason: (reason, responses), for the methodology page."""
    rows = db.session.execute(
        select(ResponseFlag.reason, func.count()).join(FlagDecision, FlagDecision.response_id == ResponseFlag.response_id)
        .join(Response, Response.id == ResponseFlag.response_id)
        .where(ResponseFlag.wave_id == wave.id, FlagDecision.decision == "exclude", Response.excluded.is_(True))
        .group_by(ResponseFlag.reason).order_by(func.count().desc())).all()
    return [(r, int(n)) for r, n in rows]


def unit_flags(wave: Wave) -> list[dict]:
    """Flags on units: the share of all-top answers far outside the unit's own previous waves or its
    level's funnel limits (z > INTEGRITY_UNIT_Z), and a week whose volume by one channel jumped to
    more than three times the channel's usual week (and by at least INTEGRITY_BURST_COUNT)."""
    z_limit = float(current_app.config["INTEGRITY_UNIT_Z"])
    current = _top_shares(wave)
    out = []
    levels: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for code, (top, n, level) in current.items():
        levels[level].append((code, top, n))
    for code, (top, n, level) in sorted(current.items()):
        if n < 10:
            continue
        p = top / n
        others = [(t, m) for _other, t, m in levels[level]]  # the level's share: a funnel plot's target
        pooled = sum(t for t, _m in others) / max(1, sum(m for _t, m in others))
        if len(others) >= 3 and 0 < pooled < 1:
            z = (p - pooled) / math.sqrt(pooled * (1 - pooled) / n)
            if abs(z) > z_limit:
                out.append({"agency": code, "reason": "top_share_level",
                            "detail": f"{p:.0%} vs {pooled:.0%} (z {z:+.1f})"})
        history = _history(wave, code)
        if history is not None:
            h_top, h_n = history
            q = (top + h_top) / (n + h_n)
            if 0 < q < 1 and h_n >= 10:
                z = (p - h_top / h_n) / math.sqrt(q * (1 - q) * (1 / n + 1 / h_n))
                if abs(z) > z_limit:
                    out.append({"agency": code, "reason": "top_share_history",
                                "detail": f"{p:.0%} vs {h_top / h_n:.0%} (z {z:+.1f})"})
    out.extend(_volume_jumps(wave))
    return out


def _top_shares(wave: Wave) -> dict[str, tuple[int, int, str]]:
    """Agency code → (responses with every scale answer at the top, responses with ≥ 1, level)."""
    questionnaire = questionnaire_of(wave.survey_version)
    coded = questionnaire.coded_questions
    positions, tops = [], []
    for i, code in enumerate(coded):
        question = questionnaire.question(code)
        if question.type == "scale":
            positions.append(i)
            tops.append(max(c.value for c in questionnaire.scales[question.scale].points))
    out: dict[str, list] = {}
    rows = db.session.execute(select(Agency.code, Agency.level, Response.coded)
                              .join(Agency, Agency.id == Response.agency_id)
                              .where(Response.wave_id == wave.id, Response.excluded.is_(False))).all()
    if not rows or not positions:
        return {}
    import numpy as np  # reason: the coded answers as an array

    values = decode([r.coded for r in rows], len(coded))[:, positions]
    answered = ~np.isnan(values)
    all_top = np.all(np.where(answered, values == np.array(tops, dtype=float), True), axis=1) & answered.any(axis=1)
    for k, r in enumerate(rows):
        if not answered[k].any():
            continue
        entry = out.setdefault(r.code, [0, 0, r.level])
        entry[0] += int(all_top[k])
        entry[1] += 1
    return {code: (t, n, level) for code, (t, n, level) in out.items()}


def _history(wave: Wave, code: str) -> tuple[int, int] | None:
    """The unit's all-top share over earlier waves on the same questionnaire version."""
    earlier = db.session.scalars(select(Wave).where(Wave.survey_version_id == wave.survey_version_id,
                                                    Wave.period_end < wave.period_start)).all()
    top = n = 0
    for other in earlier:
        found = _top_shares(other).get(code)
        if found:
            top, n = top + found[0], n + found[1]
    return (top, n) if n else None


def _volume_jumps(wave: Wave) -> list[dict]:
    rows = db.session.execute(select(Agency.code, Response.channel, Response.submitted_on)
                              .join(Agency, Agency.id == Response.agency_id)
                              .where(Response.wave_id == wave.id)).all()
    weeks: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for code, channel, day in rows:
        year, week, _d = day.isocalendar()
        weeks[(code, channel)][f"{year}-W{week:02d}"] += 1
    least = int(current_app.config["INTEGRITY_BURST_COUNT"])
    out = []
    for (code, channel), counter in sorted(weeks.items()):
        if len(counter) < 3:
            continue
        for week, n in sorted(counter.items()):
            others = sorted(v for w, v in counter.items() if w != week)
            usual = others[len(others) // 2]
            if n >= 3 * usual and n - usual >= least:
                out.append({"agency": code, "reason": "volume_jump", "detail": f"{channel} {week}: {n} vs {usual}"})
    return out


def signals_of(wave: Wave) -> int:
    return db.session.scalar(select(func.count()).select_from(ResponseSignal)
                             .join(Response, Response.id == ResponseSignal.response_id)
                             .where(Response.wave_id == wave.id)) or 0
