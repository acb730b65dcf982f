"""Row limits for administrators' CSV uploads, checked before the rows are processed.

The upload itself may be 8 MB (app/shared/web.py); processing costs a few queries or a
validation per row, so a file is refused, with the limit named, before that work starts.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.shared.csvio import ImportRejected, RowError, decode

MAX_AGENCY_ROWS = 5_000      # a province has a few hundred agencies and units
MAX_FRAME_ROWS = 50_000      # agencies × strata
MAX_MARGIN_ROWS = 5_000      # variables × categories


def at_most(rows: Iterable[tuple[int, dict]], limit: int, what: str) -> list[tuple[int, dict]]:
    """The (line, row) pairs as a list; ImportRejected as soon as there are more than `limit`
    (the rest of the file is not even parsed)."""
    out: list[tuple[int, dict]] = []
    for line, row in rows:
        if len(out) == limit:
            raise ImportRejected([RowError(line, None, _("at most %(limit)s %(what)s per file",
                                                         limit=format_decimal(limit), what=what))])
        out.append((line, row))
    return out


def check_lines(data: bytes | str, limit: int, what: str) -> None:
    """The same bound for a parser that reads the whole file itself: ImportRejected if the file
    has more than a header and `limit` rows (counted by the csv module: quoted line breaks kept)."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    if data.count(newline) <= limit + 1:
        return
    try:
        at_most(enumerate(csv.reader(io.StringIO(decode(data), newline="")), start=1), limit + 1, what)
    except ImportRejected:
        raise ImportRejected([RowError(limit + 2, None, _("at most %(limit)s %(what)s per file",
                                                          limit=format_decimal(limit), what=what))]) from None
    except csv.Error:
        return  # unreadable: the import itself names the line
