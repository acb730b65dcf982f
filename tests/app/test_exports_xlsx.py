"""The Excel export is streamed (openpyxl write-only) with progress on the command line; values
keep their types and text never becomes a formula (timings: bench/exports, not a unit test)."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from app.review import exchange
from tests import factories


def test_cli_xlsx_export_reports_progress_and_keeps_types(app, runner, tmp_path):
    agency = factories.agency("-A1")  # a code a spreadsheet would read as a formula
    wave = factories.wave("w1", agency_list=[agency])
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for i in range(40):
        store.store(wave, agency, {**base, "f1_2": 1 + i % 5}, channel="paper", language="vi")
    db.session.commit()
    path = tmp_path / "w1.xlsx"
    result = runner.invoke(args=["responses", "export", "--wave", "w1", "--format", "xlsx", "--output", str(path)])
    assert result.exit_code == 0, result.output
    said = result.output + (getattr(result, "stderr", "") or "")
    assert "xlsx: 40 of 40 rows written (100 %)" in said and "xlsx: 2 of 40 rows written (5 %)" in said
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["response_id", "agency", "block", "channel", "language", "submitted_on", "weight"]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["agency"].value == "-A1" and row["agency"].data_type == "s" and row["agency"].quotePrefix
    assert isinstance(row["f1_2"].value, int) and row["weight"].data_type == "n"
    assert row["f1_1"].value == 5 and row["harassment_kinds"].value is None


def test_progress_callback_counts_rows(app):
    wave = factories.wave("w1")
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(3):
        store.store(wave, wave.agencies[0], base, channel="paper", language="vi")
    db.session.commit()
    seen = []
    data, _ = exchange.export_file(wave, "xlsx", lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert load_workbook(io.BytesIO(data)).active.max_row == 4


def test_admin_excel_download_runs_as_a_job_with_a_progress_page(app, client, login_as):
    import time

    wave = factories.wave("w1")
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(30):
        store.store(wave, wave.agencies[0], base, channel="paper", language="vi")
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/waves/w1/export").get_data(as_text=True)
    assert 'action="/admin/waves/w1/export/jobs"' in page
    started = client.post("/admin/waves/w1/export/jobs", data={"csrf_token": csrf(page)})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    for _ in range(200):
        html = client.get(job_url).get_data(as_text=True)
        if "Download" in html or "Tải" in html:
            break
        assert 'http-equiv="refresh"' in html  # refreshes itself while running, no JavaScript
        time.sleep(0.05)
    assert "30" in html and 'http-equiv="refresh"' not in html
    data = client.get(job_url + "?download=1")
    assert data.status_code == 200 and "attachment" in data.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(data.data)).active.max_row == 31
    login_as("admin")  # another administrator cannot fetch it
    assert client.get(job_url + "?download=1").status_code == 404
    assert client.get("/admin/waves/w1/export/jobs/not-a-job").status_code == 404


def csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
