"""Workbooks that would hang or exhaust a worker are refused quickly, with the limit named."""
from __future__ import annotations

import io
import resource
import time
import zipfile

import pytest
from openpyxl import Workbook

from survey_definitions import workbook_guard
from survey_definitions.xlsform import read_xlsform

SHEET = "xl/worksheets/sheet1.xml"


def plain_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label::Vietnamese (vi)", "label::English (en)"])
    sheet.append(["text", "why", "Vì sao", "Why"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, part: str, change) -> bytes:
    """The workbook with one part's XML replaced by change(xml)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, change(content) if name == part else content)
    return out.getvalue()


def only_problem(data: bytes) -> str:
    started = time.monotonic()
    definition, problems = read_xlsform(data, slug="x", version=1)
    assert time.monotonic() - started < 5
    assert definition is None and len(problems) == 1 and problems[0].sheet == "(file)"
    return problems[0].message


def test_a_sheet_declaring_a_million_rows_and_16384_columns_does_not_hang():
    """17 KB on disk; openpyxl padded every missing row to the declared width (a 30 s hang)."""
    def far_row(xml: bytes) -> bytes:
        xml = xml.replace(b'<dimension ref="A1:D2" />', b'<dimension ref="A1:XFD1048576" />')
        return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t>'
                                            b"</is></c></row></sheetData>")
    data = rewrite(plain_workbook(), SHEET, far_row)
    assert len(data) < 20_000
    assert f"more than {workbook_guard.MAX_ROWS} rows" in only_problem(data)


def test_a_compressed_sheet_of_many_rows_is_refused_by_its_row_count():
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>text</t></is></c></row>' % (n, n)
                    for n in range(3, 200_000))
    data = rewrite(plain_workbook(), SHEET, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>"))
    assert len(data) < 2_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert "more than 5000 rows" in only_problem(data)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB: no gigabyte


def test_a_workbook_unpacking_beyond_the_limit_is_refused_before_it_is_read():
    padding = b" " * (workbook_guard.MAX_UNPACKED_BYTES + 1)
    data = rewrite(plain_workbook(), SHEET, lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + padding))
    assert "unpacks to more than 20 MB" in only_problem(data)


@pytest.mark.parametrize("part", [SHEET, "xl/workbook.xml", "[Content_Types].xml"])
@pytest.mark.parametrize("dtd", [
    b'<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
], ids=["xxe", "billion-laughs"])
def test_xml_entities_and_dtds_are_refused(part, dtd):
    def inject(xml: bytes) -> bytes:
        if xml.startswith(b"<?xml"):
            head, _, rest = xml.partition(b"?>")
            return head + b"?>" + dtd + rest
        return dtd + xml
    message = only_problem(rewrite(plain_workbook(), part, inject))
    assert "DTD or XML entities" in message and part in message


def test_not_a_zip_is_one_clear_problem():
    assert "not an .xlsx workbook" in only_problem(b"PK\x03\x04 not really")
