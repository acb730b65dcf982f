"""Reading uploaded CSV files with errors that name the line and the column."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from app.shared.cells import unescape


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class ImportRejected(ValueError):
    """The whole file is refused; nothing was written."""

    def __init__(self, errors: Sequence[RowError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors[:20]))


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected([RowError(line, None, _("the file is not valid UTF-8 text"))]) from exc


def _unreadable(reader: csv.DictReader, exc: csv.Error) -> ImportRejected:
    message = str(exc)
    if "field larger than field limit" in message:
        message = _("a value is longer than %(n)s KB", n=csv.field_size_limit() // 1024)
    # line_num counts the lines read completely; the error is in the next one
    return ImportRejected([RowError(reader.line_num + 1, None, _("unreadable CSV: %(message)s",
                                                                 message=message))])


def read_rows(data: bytes | str, required: Sequence[str]) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """Header check, then (line number, row) pairs; line 1 is the header."""
    reader = csv.DictReader(io.StringIO(decode(data), newline=""))
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:  # a field over csv.field_size_limit() (128 KB), a stray NUL, ...
        raise _unreadable(reader, exc) from exc
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected([RowError(1, c, _("required column is missing")) for c in missing])

    def rows() -> Iterator[tuple[int, dict]]:
        try:
            yield from _rows()
        except csv.Error as exc:
            raise _unreadable(reader, exc) from exc

    def _rows() -> Iterator[tuple[int, dict]]:
        for row in reader:
            if None in row:
                yield reader.line_num, {"__extra__": row.pop(None)} | row
            else:
                # unescape: a cell our exports made inert ("'=...", app.shared.cells) reads back as typed
                yield reader.line_num, {k: unescape((v or "").strip()) for k, v in row.items()}

    return header, rows()
