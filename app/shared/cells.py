"""Cells that no spreadsheet runs as a formula (CSV injection, OWASP).

Text that people typed (comments, agency names, labels, dossier codes) reaches officials' and
administrators' CSV and Excel downloads. A spreadsheet treats a cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return as a formula, so a comment like ``=HYPERLINK(...)`` would run
on the reader's machine. CSV: such text gets a leading ``'`` (OWASP's advice; ``unescape``
undoes it on import, so export → import returns the text unchanged). Excel: text cells are
written as strings (never formulas) with Excel's hidden quote prefix. Numbers stay numbers, so
negative values in numeric columns are unaffected.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from openpyxl.cell import WriteOnlyCell

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
# Leading quotes are part of the pattern so that escaping is reversible: "'=x" → "''=x" → "'=x".
_RISKY = re.compile(r"'*[=+\-@\t\r]")


def is_risky(text: str) -> bool:
    return bool(_RISKY.match(text))


def escape(value: Any) -> Any:
    """A text value made inert for CSV; other values (numbers, None) unchanged."""
    if isinstance(value, str) and _RISKY.match(value):
        return "'" + value
    return value


def unescape(text: str) -> str:
    """Undo ``escape`` (imports of our own exports)."""
    return text[1:] if text.startswith("'") and _RISKY.match(text, 1) else text


CSV_OPTIONS = {"index": False, "lineterminator": "\r\n"}  # for DataFrame.to_csv (RFC 4180 line ends)


class SafeWriter:
    """csv.writer whose text cells are escaped.

    Python's csv quotes a field holding a carriage return only when the line terminator has one;
    with "\n" endings a bare CR in a comment would end the row for Excel and start a new one with
    whatever follows. Such rows are quoted as with "\r\n" endings."""

    def __init__(self, handle, **options):
        self._handle = handle
        self._end = options.get("lineterminator", "\r\n")
        self._writer = csv.writer(handle, **options)
        self._crlf = None if "\r" in self._end else {**options, "lineterminator": "\r\n"}

    def writerow(self, row) -> Any:
        row = [escape(v) for v in row]
        if self._crlf is not None and any(isinstance(v, str) and "\r" in v for v in row):
            line = io.StringIO()
            csv.writer(line, **self._crlf).writerow(row)
            return self._handle.write(line.getvalue()[:-2] + self._end)
        return self._writer.writerow(row)

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle, **options) -> SafeWriter:
    return SafeWriter(handle, **options)


def escape_table_text(table):
    """A DataFrame's text (object) columns escaped, numeric columns untouched (a copy if changed).
    Write it with ``CSV_OPTIONS`` (CRLF endings, so that a CR inside a cell is quoted)."""
    text_columns = [c for c in table.columns if table[c].dtype == object]
    if not text_columns:
        return table
    table = table.copy()
    for column in text_columns:
        table[column] = table[column].map(escape, na_action="ignore")
    return table


def xlsx_cell(sheet, value: Any):
    """A write-only cell: text as a string cell (never a formula), other values as they are."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True  # Excel keeps it text even when someone edits the cell
    return cell
