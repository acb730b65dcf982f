"""Waves as administrators run them: create, edit while draft, open, close, retention."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import (
    Agency,
    Block,
    Invitation,
    InvitationContact,
    OutboxMessage,
    Response,
    SurveyVersion,
    User,
    Wave,
)
from app.models.survey import PUBLISHED
from app.models.wave import CHANNELS, WAVE_CLOSED, WAVE_DRAFT, WAVE_OPEN
from app.programme import agencies
from app.shared import audit
from app.shared.refusal import Refusal


def open_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).where(Wave.status == WAVE_OPEN).order_by(Wave.period_start.desc())))


def get_wave(slug: str) -> Wave | None:
    return db.session.scalar(select(Wave).where(Wave.slug == slug))




def list_waves(agency_id: int | None = None) -> list[Wave]:
    query = select(Wave).order_by(Wave.period_start.desc(), Wave.slug)
    if agency_id is not None:
        query = query.where(Wave.agencies.any(Agency.id == agency_id))
    return list(db.session.scalars(query).unique())


def published_versions() -> list[SurveyVersion]:
    return list(db.session.scalars(select(SurveyVersion).where(SurveyVersion.status == PUBLISHED)
                                   .order_by(SurveyVersion.slug, SurveyVersion.version)))


def snapshot(wave: Wave) -> dict:
    return {"slug": wave.slug, "name_vi": wave.name_vi, "name_en": wave.name_en,
            "period_start": wave.period_start.isoformat(), "period_end": wave.period_end.isoformat(),
            "survey_version": wave.survey_version.label if wave.survey_version else None,
            "agencies": sorted(a.code for a in wave.agencies), "channels": list(wave.channels or []),
            "status": wave.status, "settings": dict(wave.settings or {})}


def save(wave: Wave | None, *, slug: str, name_vi: str, name_en: str, period_start: date,
         period_end: date, survey_version_id: int, agency_codes: list[str], channels: list[str],
         purge_dossiers: bool = True, actor: User | None = None, nonresponse: bool | None = None) -> Wave:
    """Create a wave (draft) or edit one; only a draft's questionnaire and scope may change."""
    other = get_wave(slug)
    if other is not None and other is not wave:
        raise Refusal("slug", _("a wave '%(slug)s' already exists", slug=slug))
    if period_end < period_start:
        raise Refusal("period_end", _("the period must end on or after its start"))
    version = db.session.get(SurveyVersion, survey_version_id)
    if version is None or version.status != PUBLISHED:
        raise Refusal("survey_version", _("choose a published questionnaire version"))
    chosen = [c for c in CHANNELS if c in channels]
    if not chosen or len(chosen) != len(set(channels)):
        raise Refusal("channels", _("choose one or more of %(items)s", items=', '.join(CHANNELS)))
    scope = list(db.session.scalars(select(Agency).where(Agency.code.in_(agency_codes))))
    if not scope or len(scope) != len(set(agency_codes)):
        raise Refusal("agencies", _("choose one or more known agencies"))
    added = [a for a in scope if wave is None or a not in wave.agencies]
    if any(not a.active for a in added):
        raise Refusal("agencies", _("a deactivated agency cannot be added to a wave"))
    outside = [a.code for a in added if not a.valid_during(period_start, period_end)]
    if outside:
        raise Refusal("agencies", _("%(codes)s did not exist during the wave's period (see their validity dates)",
                                    codes=", ".join(sorted(outside))))
    before = snapshot(wave) if wave is not None else None
    if wave is not None and wave.status != WAVE_DRAFT:
        if version.id != wave.survey_version_id:
            raise Refusal("survey_version", _("the questionnaire of an opened wave cannot change"))
        missing = {a.id for a in wave.agencies} - {a.id for a in scope}
        if missing and db.session.scalar(select(func.count(Response.id)).where(
                Response.wave_id == wave.id, Response.agency_id.in_(missing))):
            raise Refusal("agencies", _("an agency that already has responses cannot leave the wave"))
    if wave is None:
        wave = Wave(status=WAVE_DRAFT, settings={})
        db.session.add(wave)
    wave.slug, wave.name_vi = slug, name_vi.strip()
    wave.name_en = name_en.strip() or name_vi.strip()
    wave.period_start, wave.period_end = period_start, period_end
    wave.survey_version = version
    wave.agencies = sorted(scope, key=lambda a: a.code)
    wave.channels = chosen
    wave.change_settings(purge_dossiers_on_close=bool(purge_dossiers))
    if nonresponse is not None:  # the funnel's weighting-class adjustment (WaveSettings.nonresponse)
        wave.change_settings(nonresponse=bool(nonresponse))
    db.session.flush()
    audit.record("wave.create" if before is None else "wave.update", "wave", wave.slug, user=actor,
                 before=before, after=snapshot(wave))
    return wave


def set_status(wave: Wave, status: str, actor: User | None = None) -> int:
    """Open or close a wave; closing may purge dossier digests. Returns digests purged."""
    allowed = {WAVE_OPEN: (WAVE_DRAFT, WAVE_CLOSED), WAVE_CLOSED: (WAVE_OPEN,)}
    if status not in allowed or wave.status not in allowed[status]:
        raise Refusal("status", _("a %(status)s wave cannot become %(status2)s",
                                     status=wave.status, status2=status))
    before = {"status": wave.status}
    wave.status = status
    db.session.flush()
    audit.record(f"wave.{'open' if status == WAVE_OPEN else 'close'}", "wave", wave.slug, user=actor,
                 before=before, after={"status": status})
    if status == WAVE_CLOSED:
        forget_contacts(wave, actor)
    if status == WAVE_CLOSED and wave.estimation.purge_dossiers_on_close:
        return purge_dossier_digests(wave, actor)
    return 0


def forget_contacts(wave: Wave, actor: User | None = None) -> tuple[int, int]:
    """Retention (issue 18): once the wave closes, its invited citizens' addresses are deleted and
    its invitations and reminders not yet sent are cancelled, their content dropped. Returns
    (contacts deleted, messages cancelled); audited as counts only."""
    of_wave = select(Invitation.id).where(Invitation.wave_id == wave.id)
    contacts = db.session.execute(delete(InvitationContact).where(InvitationContact.invitation_id.in_(of_wave))
                                  .execution_options(synchronize_session=False)).rowcount or 0
    cancelled = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.wave_id == wave.id, OutboxMessage.status == "queued",
                                    OutboxMessage.kind.in_(("invitation", "reminder")))
        .values(status="cancelled", sealed=None).execution_options(synchronize_session=False)).rowcount or 0
    if contacts or cancelled:
        audit.record("wave.forget_contacts", "wave", wave.slug, user=actor,
                     after={"contacts_deleted": contacts, "messages_cancelled": cancelled})
    return contacts, cancelled


def purge_dossier_digests(wave: Wave, actor: User | None = None) -> int:
    """Retention: forget which dossiers were invited once the wave is closed."""
    if wave.status != WAVE_CLOSED:
        raise Refusal("status", _("dossier digests are deleted only once the wave is closed"))
    result = db.session.execute(update(Invitation).where(Invitation.wave_id == wave.id,
                                                         Invitation.dossier_digest.is_not(None))
                                .values(dossier_digest=None))
    count = result.rowcount or 0
    audit.record("wave.purge_dossiers", "wave", wave.slug, user=actor, after={"digests_deleted": count})
    return count


def invitation_counts(wave: Wave) -> dict[str, tuple[int, int, int]]:
    """Agency code → (issued, answered, with a dossier digest)."""
    rows = db.session.execute(
        select(Agency.code, func.count(Invitation.id), func.count(Invitation.used_at),
               func.count(Invitation.dossier_digest))
        .join(Agency, Agency.id == Invitation.agency_id).where(Invitation.wave_id == wave.id)
        .group_by(Agency.code)).all()
    return {code: (issued, used, digests) for code, issued, used, digests in rows}


def response_counts(wave: Wave) -> dict[str, tuple[int, int]]:
    """Agency code → (responses kept, responses excluded)."""
    rows = db.session.execute(
        select(Agency.code, Response.excluded, func.count(Response.id))
        .join(Agency, Agency.id == Response.agency_id).where(Response.wave_id == wave.id)
        .group_by(Agency.code, Response.excluded)).all()
    out: dict[str, list[int]] = {}
    for code, excluded, count in rows:
        out.setdefault(code, [0, 0])[1 if excluded else 0] += count
    return {k: (v[0], v[1]) for k, v in out.items()}


def closing_figures(wave: Wave) -> tuple[int, int, int]:
    """What closing stops or deletes: (responses, invitations not yet answered, dossier digests)."""
    invitations = invitation_counts(wave).values()
    return (sum(kept + excluded for kept, excluded in response_counts(wave).values()),
            sum(issued - used for issued, used, _ in invitations), sum(d for _, _, d in invitations))


def contacts_of(wave: Wave) -> int:
    """Contact addresses kept for the wave's invitations (deleted when it closes)."""
    return db.session.scalar(select(func.count()).select_from(InvitationContact).join(
        Invitation, Invitation.id == InvitationContact.invitation_id).where(Invitation.wave_id == wave.id)) or 0


ALL_BLOCKS = "*"


def blocks_with_active_agencies() -> list[Block]:
    return list(db.session.scalars(select(Block).where(Block.id.in_(select(Agency.block_id)
                                                                    .where(Agency.active)))
                                   .order_by(Block.position, Block.code)))


def agencies_of_blocks(block_codes: list[str], start: date | None = None, end: date | None = None) -> list[str]:
    """The active agencies of the chosen blocks (ALL_BLOCKS: every active agency), by code.

    An unknown block is refused, naming the field, rather than silently selecting nothing."""
    wanted = set(block_codes)
    if not wanted:
        return []
    query = select(Agency.code).join(Block, Block.id == Agency.block_id).where(Agency.active)
    if start is not None and end is not None:  # the units that existed during the wave's period
        query = query.where(agencies.valid_during(start, end))
    if ALL_BLOCKS not in wanted:
        known = set(db.session.scalars(select(Block.code).where(Block.code.in_(wanted))))
        if unknown := sorted(wanted - known):
            raise Refusal("agencies", _("unknown block: %(items)s", items=', '.join(unknown)))
        query = query.where(Block.code.in_(wanted))
    return list(db.session.scalars(query.order_by(Agency.code)))
