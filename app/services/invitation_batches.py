"""Invitations in bulk: a CSV of dossier codes checked line by line, and the links as CSV or QR codes."""
from __future__ import annotations

import io

import segno
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Invitation, Wave
from app.services import cells
from app.services.csvio import ImportRejected, RowError, read_rows
from app.services.invitations import IssuedInvitation, dossier_digest
from survey_definitions.questiontypes import DOSSIER_CODE_RE

MAX_ROWS = 5000


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
        if not DOSSIER_CODE_RE.match(code):
            errors.append(RowError(line, "dossier", _("expected a dossier code of 5–40 letters, digits, '.' "
                                   "or '-' (e.g. H15.50.05.13-261008-0975)")))
        elif code in first_seen:
            errors.append(RowError(line, "dossier", _("the same dossier code as line %(line)s",
                                                      line=first_seen[code])))
        else:
            first_seen[code] = line
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
