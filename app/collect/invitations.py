"""Invitations: a random token handed to the respondent, only its keyed hash kept here.

Invitations in bulk: a CSV of dossier codes checked line by line, and the links as CSV or QR codes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import defer, joinedload

from app.extensions import db
from app.models import Agency, Invitation, SurveyVersion, User, Wave
from app.models.base import utcnow
from app.shared import audit, cells
from app.shared.csvio import ImportRejected, RowError, read_rows
from app.shared.refusal import Refusal
from app.shared.secrets import keyed_digest, new_token, token_hash
from survey_definitions.questiontypes import DOSSIER_CODE_RE


@dataclass(frozen=True)
class IssuedInvitation:
    token: str
    url: str
    expires_at: datetime
    agency: str
    invitation_id: int | None = None


def link_for(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{token}"


def dossier_digest(code: str) -> str:
    return keyed_digest(code.strip().upper(), "dossier")


def issue(wave: Wave, agency: Agency, count: int = 1, *, dossiers: list[str] | None = None,
          days: int | None = None, actor: User | None = None, actor_name: str | None = None,
          processing_agency_id: int | None = None, channel: str = "link") -> list[IssuedInvitation]:
    """Make the invitations (flushes; the caller commits once, after the links reach the user).

    Every batch is audited with who asked (``actor``, or ``actor_name`` for an integration key or
    the command line) and how many. Raises Refusal (status 409 when a dossier already has one).
    ``processing_agency_id``: the unit that processed the dossiers, when not ``agency`` (the
    receiving unit); their responses inherit it. ``channel``: how the link reaches the citizen
    ("link": handed over by the issuer; email, sms, zalo: queued as a message by app.reach).
    """
    if agency not in wave.agencies:
        raise Refusal("agency", _("agency %(code)s is not in the scope of wave %(slug)s",
                                          code=agency.code, slug=wave.slug))
    if wave.status == "closed":
        raise Refusal("wave", _("wave %(slug)s is closed", slug=wave.slug))
    if agency.valid_to is not None and agency.valid_to < date.today():
        raise Refusal("agency", _("%(code)s no longer exists: it ended on %(day)s", code=agency.code,
                                  day=agency.valid_to.isoformat()))
    if "link" not in (wave.channels or []):
        raise Refusal("wave", _("wave %(slug)s does not collect answers by link", slug=wave.slug))
    # dossiers: one code per invitation, or None for one without (contacts sent by message)
    digests = [dossier_digest(d) if d else None for d in dossiers] if dossiers else [None] * count
    given = [d for d in digests if d is not None]
    if given:
        if len(set(given)) != len(given):
            raise Refusal("dossier", _("the same dossier code appears twice"), 409)
        taken = set(db.session.scalars(select(Invitation.dossier_digest).where(
            Invitation.wave_id == wave.id, Invitation.dossier_digest.in_(given))))
        if taken:
            raise Refusal("dossier", _("%(count)s dossier(s) already have an invitation in this wave",
                                       count=len(taken)), 409)
    expires = utcnow() + timedelta(days=days or current_app.config["INVITATION_DAYS"])
    made = []
    for digest in digests:
        token = new_token()
        row = Invitation(token_hash=token_hash(token), wave_id=wave.id, agency_id=agency.id,
                         processing_agency_id=processing_agency_id, dossier_digest=digest,
                         expires_at=expires, channel=channel)
        db.session.add(row)
        made.append((token, row))
    db.session.flush()
    issued = [IssuedInvitation(token, link_for(token), expires, agency.code, row.id) for token, row in made]
    audit.record("invitation.issue", "wave", wave.slug, user=actor, actor=actor_name,
                 after={"agency": agency.code, "count": len(issued), "dossiers": bool(given),
                        **({"channel": channel} if channel != "link" else {}),
                        **({"processing_agency_id": processing_agency_id} if processing_agency_id else {})})
    return issued


def mark_opened(invitation_id: int) -> None:
    """The funnel's "opened": the first time the link is opened (one UPDATE; later opens change nothing)."""
    db.session.execute(update(Invitation).where(Invitation.id == invitation_id, Invitation.opened_at.is_(None))
                       .values(opened_at=utcnow()).execution_options(synchronize_session=False))


def find_usable(token: str) -> Invitation | None:
    """The invitation behind a token if it can still be answered; None for unknown, used or expired."""
    invitation = find_with_context(token)
    return invitation if invitation is not None and is_usable(invitation) else None


def link_state(token: str) -> tuple[Invitation | None, str | None]:
    """(the invitation, None) if it can still be answered, else (None, why): 'answered',
    'expired' or 'closed' for a real token, 'unknown' otherwise. Only the holder of a real token
    learns which; a guessed one learns nothing."""
    invitation = find_with_context(token)
    if invitation is None:
        return None, "unknown"
    if invitation.used_at is not None:
        return None, "answered"
    if invitation.expires_at < utcnow():
        return None, "expired"
    if invitation.wave.status != "open":
        return None, "closed" if invitation.wave.status == "closed" else "unknown"
    return invitation, None


def is_usable(invitation: Invitation) -> bool:
    return (invitation.used_at is None and invitation.expires_at >= utcnow()
            and invitation.wave.status == "open")


def find_with_context(token: str) -> Invitation | None:
    """find_any, with its wave and agency loaded in the same query (one round trip per submission);
    the questionnaire's source text and definition load only if a cache needs them."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    return db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token)).options(
            joinedload(Invitation.agency),
            joinedload(Invitation.wave).joinedload(Wave.survey_version).options(
                defer(SurveyVersion.source), defer(SurveyVersion.definition))))


def find_any(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


MAX_ROWS = 5000


def check_dossier(code: str, line: int, first_seen: dict[str, int], errors: list[RowError]) -> bool:
    """THE check of one dossier code of a file (its shape, not a repeat of an earlier line): True
    and remembered in ``first_seen``, or False with its RowError added."""
    if not DOSSIER_CODE_RE.match(code):
        errors.append(RowError(line, "dossier", _("expected a dossier code of 5–40 letters, digits, '.' "
                               "or '-' (e.g. H15.50.05.13-261008-0975)")))
    elif code in first_seen:
        errors.append(RowError(line, "dossier", _("the same dossier code as line %(line)s", line=first_seen[code])))
    else:
        first_seen[code] = line
        return True
    return False


def parse_dossiers(wave: Wave, data: bytes | str, max_rows: int = MAX_ROWS) -> list[str]:
    """Dossier codes from a CSV with a 'dossier' column; every problem names its line.

    The file's lines are counted before anything parses it: a file with more rows than one batch
    may hold is refused at once, naming the limit (a 4 MB list used to take a worker 30 s).
    """
    rows_given = sum(1 for line in data.splitlines()[1:] if line.strip())
    if rows_given > max_rows:
        raise ImportRejected([RowError(1, "dossier", _("at most %(max_rows)s dossier codes per file (one invitation each); the file has %(rows_given)s rows",
                                                       max_rows=max_rows, rows_given=rows_given))])
    _columns, rows = read_rows(data, required=("dossier",))
    errors, codes, first_seen = [], [], {}
    for line, row in rows:
        if "__extra__" in row:
            errors.append(RowError(line, None, _("more values than columns")))
            continue
        code = row.get("dossier", "").strip().upper()
        if check_dossier(code, line, first_seen, errors):
            codes.append(code)
    digests = {dossier_digest(c): c for c in codes}
    taken = set(db.session.scalars(select(Invitation.dossier_digest).where(
        Invitation.wave_id == wave.id, Invitation.dossier_digest.in_(list(digests)))))
    for digest in taken:
        code = digests[digest]
        errors.append(RowError(first_seen[code], "dossier",
                               _("%(code)s already has an invitation in this wave (one per dossier)",
                                 code=code)))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    if not codes:
        raise ImportRejected([RowError(2, "dossier", _("the file has no dossier codes"))])
    return codes


def links_csv(issued: list[IssuedInvitation], dossiers: list[str] | None) -> str:
    out = io.StringIO()
    writer = cells.writer(out)  # text made inert for spreadsheets
    writer.writerow(["url", "agency", "expires_at", "dossier"])
    for i, item in enumerate(issued):
        writer.writerow([item.url, item.agency, item.expires_at.isoformat(timespec="minutes"),
                         dossiers[i] if dossiers else ""])
    return out.getvalue()


def qr_data_uri(url: str) -> str:
    """An inline SVG QR code (allowed by the CSP's img-src data:)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)
