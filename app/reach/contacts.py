"""Contacts to invite: a CSV file (columns ``address``, optional ``dossier`` and ``language``) or
one contact from the integration API, checked before anything is written.

Every problem names its line and column and what was expected; the whole file is refused if one
line is wrong. An address is kept in its normal form (app/outbox/addresses.py); one that opted out
of this wave or for good is skipped and counted, never an error (nothing is said about whom).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.collect.invitations import check_dossier, dossier_digest
from app.extensions import db
from app.models import Invitation, InvitationContact, OptOut, Wave
from app.outbox import addresses
from app.shared.csvio import ImportRejected, RowError, read_rows
from app.shared.refusal import Refusal

CHANNELS = ("email", "sms", "zalo")
LANGUAGES = ("vi", "en")


def normalise(channel: str, address: str) -> str:
    """One normal form per channel (e-mail lower-case; phone 84xxxxxxxxx); ValueError saying what
    was expected."""
    return addresses.normalise(channel, address)


def digest(channel: str, address: str) -> str:
    return addresses.digest(channel, address)


@dataclass(frozen=True)
class Contact:
    line: int  # in the file (0: from the API)
    address: str  # normal form
    digest: str
    language: str
    dossier: str | None = None


@dataclass
class Contacts:
    """What a file gives: the contacts to invite, and the lines skipped because they opted out."""

    channel: str
    rows: list[Contact] = field(default_factory=list)
    opted_out: list[int] = field(default_factory=list)  # line numbers only


def batch_cap() -> int:
    return int(current_app.config["MAX_INVITATIONS_PER_BATCH"])


def opted_out(wave: Wave, digests: list[str]) -> set[str]:
    """The digests among these that asked for no more messages: for this wave or for good."""
    if not digests:
        return set()
    return set(db.session.scalars(select(OptOut.address_digest).where(
        OptOut.address_digest.in_(digests), or_(OptOut.wave_id.is_(None), OptOut.wave_id == wave.id))))


def parse(wave: Wave, channel: str, data: bytes | str, language: str = "vi",
          max_rows: int | None = None) -> Contacts:
    """Read CONTACTS.csv for ``channel``; ``language`` is the default of rows without one.
    Raises ImportRejected naming every bad line (nothing is written either way)."""
    if channel not in CHANNELS:
        raise ImportRejected([RowError(1, "channel", _("expected a channel: email, sms or zalo"))])
    cap = max_rows or batch_cap()
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    given = sum(1 for line in text.splitlines()[1:] if line.strip())
    if given > cap:
        raise ImportRejected([RowError(1, "address", _(
            "at most %(max_rows)s contacts per file (one invitation each); the file has %(rows_given)s rows",
            max_rows=cap, rows_given=given))])
    _columns, rows = read_rows(data, required=("address",))
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    dossiers: dict[str, int] = {}
    found: list[Contact] = []
    for line, row in rows:
        if "__extra__" in row:
            errors.append(RowError(line, None, _("more values than columns")))
            continue
        contact = _row(line, row, channel, language, seen, dossiers, errors)
        if contact is not None:
            found.append(contact)
    errors.extend(_already_invited(wave, found, dossiers))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.line, e.column or "")))
    if not found:
        raise ImportRejected([RowError(2, "address", _("the file has no contacts"))])
    out = opted_out(wave, [c.digest for c in found])
    return Contacts(channel, [c for c in found if c.digest not in out],
                    [c.line for c in found if c.digest in out])


def _row(line: int, row: dict, channel: str, default_language: str, seen: dict[str, int],
         dossiers: dict[str, int], errors: list[RowError]) -> Contact | None:
    problems = len(errors)
    try:
        address = normalise(channel, row.get("address", ""))
    except ValueError as exc:
        errors.append(RowError(line, "address", str(exc)))
        address = None
    if address is not None and address in seen:
        errors.append(RowError(line, "address", _("the same address as line %(line)s", line=seen[address])))
    elif address is not None:
        seen[address] = line
    language = (row.get("language") or "").strip().lower() or default_language
    if language not in LANGUAGES:
        errors.append(RowError(line, "language", _("expected vi or en")))
    dossier = (row.get("dossier") or "").strip().upper() or None
    if dossier is not None:
        check_dossier(dossier, line, dossiers, errors)
    if len(errors) > problems or address is None:
        return None
    return Contact(line, address, digest(channel, address), language, dossier)


def _already_invited(wave: Wave, found: list[Contact], dossiers: dict[str, int]) -> list[RowError]:
    """Lines whose dossier, or whose address (without a dossier), already has an invitation in this
    wave: sending the same file twice must not invite anybody twice."""
    errors = []
    by_digest = {dossier_digest(code): code for code in dossiers}
    for taken in db.session.scalars(select(Invitation.dossier_digest).where(
            Invitation.wave_id == wave.id, Invitation.dossier_digest.in_(list(by_digest)))):
        code = by_digest[taken]
        errors.append(RowError(dossiers[code], "dossier", _(
            "%(code)s already has an invitation in this wave (one per dossier)", code=code)))
    plain = {c.digest: c.line for c in found if c.dossier is None}
    if plain:
        invited = db.session.scalars(
            select(InvitationContact.address_digest).join(Invitation, Invitation.id == InvitationContact.invitation_id)
            .where(Invitation.wave_id == wave.id, InvitationContact.address_digest.in_(list(plain))))
        for taken in set(invited):
            errors.append(RowError(plain[taken], "address", _(
                "this address already has an invitation in this wave (give a dossier code to invite it again)")))
    return errors


def from_api(value: Any) -> tuple[str, Contact]:
    """The integration's ``contact`` object → (channel, contact); Refusal naming ``contact.<field>``.
    (The API's messages stay English, as its other errors.)"""
    if not isinstance(value, dict):
        raise Refusal("contact", "contact must be an object {channel, address, language?}")
    unknown = sorted(set(value) - {"channel", "address", "language"})
    if unknown:
        raise Refusal(f"contact.{unknown[0]}", "unknown field; contact takes channel, address and language")
    channel = value.get("channel")
    if channel not in CHANNELS:
        raise Refusal("contact.channel", "expected a channel: email, sms or zalo")
    raw = value.get("address")
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 320:
        raise Refusal("contact.address", "expected the address as a string")
    try:
        address = normalise(channel, raw)
    except ValueError as exc:
        raise Refusal("contact.address", str(exc)) from None
    language = value.get("language", "vi")
    if language not in LANGUAGES:
        raise Refusal("contact.language", "expected vi or en")
    return channel, Contact(0, address, digest(channel, address), language)
