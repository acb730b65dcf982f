"""Reading an uploaded workbook without letting it hang or exhaust a worker.

An XLSForm has a few hundred rows and a few dozen columns, and its XML unpacks to well under a
megabyte. A zip can claim a million rows in a few kilobytes, a sheet can declare A1:XFD1048576
(openpyxl then pads every row to 16,384 cells), and XML can declare entities that expand
("billion laughs") or fetch files (XXE). Everything is bounded before and while it is read, and
each refusal names its limit. (defusedxml, when installed, also makes openpyxl refuse entities.)
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from typing import Any

MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_PARTS = 500
MAX_ROWS = 5_000
MAX_COLUMNS = 200
MAX_SECONDS = 10.0
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class WorkbookRefused(Exception):
    """The workbook is refused before or while it is read; the message names the limit."""


def check_archive(data: bytes) -> None:
    """Refuse a workbook whose parts unpack beyond MAX_UNPACKED_BYTES, or whose XML declares a
    DTD or entities (XXE, "billion laughs"): nothing of an XLSForm needs them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise WorkbookRefused(f"not an .xlsx workbook ({type(exc).__name__})") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise WorkbookRefused(f"the workbook has more than {MAX_PARTS} parts")
        if sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
            raise WorkbookRefused(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB "
                                  "(an XLSForm needs far less): remove unused sheets and rows")
        for part in parts:
            if not part.filename.endswith((".xml", ".rels", ".vml")):
                continue
            # Read at most the declared size (zipfile stops there, and a false size fails its CRC).
            with archive.open(part) as handle:
                text = handle.read(MAX_UNPACKED_BYTES + 1)
            if text[:2] in (b"\xff\xfe", b"\xfe\xff"):
                text = text.decode("utf-16", errors="replace").encode()
            if _DTD.search(text):
                raise WorkbookRefused(f"part {part.filename} declares a DTD or XML entities, which are refused")


def bounded_rows(sheet: Any, deadline: float) -> list[tuple]:
    """The sheet's rows as value tuples, at most MAX_ROWS rows of MAX_COLUMNS cells, before the
    deadline (time.monotonic()); the declared dimensions are ignored."""
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    rows = []
    for values in sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=MAX_COLUMNS, values_only=True):
        rows.append(values)
        if len(rows) > MAX_ROWS:
            raise WorkbookRefused(f"sheet '{sheet.title}' has more than {MAX_ROWS} rows")
        if len(rows) % 200 == 0 and time.monotonic() > deadline:
            raise WorkbookRefused(f"reading the workbook took longer than {MAX_SECONDS:g} seconds")
    return rows
