"""The official's Excel report: one formatted sheet per view, in the language of the request,
figures as the dashboard shows them (percent with one decimal, CI, n), suppressed cells said."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from tests import factories


@pytest.fixture
def report_wave(app):
    big, small = factories.agency("A1"), factories.agency("A2")
    wave = factories.wave("w1", agency_list=[big, small])
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for i in range(37):  # rates such as 0.8918918918918919 (33/37)
        store.store(wave, big, {**base, "f1_1": 5 if i % 9 else 2, "late": 1 if i % 5 == 0 else 0},
                        channel="paper", language="vi")
    for _ in range(3):  # under the minimum group size: not shown
        store.store(wave, small, base, channel="paper", language="vi")
    wave.data_version += 1
    db.session.commit()
    return wave


def fetch(client, lang: str):
    response = client.get(f"/dashboard/w1/report.xlsx?lang={lang}")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def test_report_in_vietnamese_is_formatted_like_the_dashboard(client, login_as, report_wave):
    login_as("official")
    book = fetch(client, "vi")
    assert {"Tóm tắt", "Chỉ số", "Tiêu chí", "Thời hạn", "Mong đợi"} <= set(book.sheetnames)
    assert any(name.startswith("Xếp hạng") for name in book.sheetnames)
    criteria = book["Tiêu chí"]
    header = [c.value for c in criteria[1]]
    assert header[:4] == ["Mã", "Tên", "Hài lòng", "Cận dưới khoảng tin cậy"] and "Người trả lời" in header
    assert criteria.freeze_panes == "A2" and criteria[1][0].font.b
    assert criteria.column_dimensions["B"].width > 30  # the criterion's text is readable
    row = next(r for r in criteria.iter_rows(min_row=2) if r[0].value == "f1_1")
    rate, lower, upper, n = row[2], row[3], row[4], row[5]
    assert rate.number_format == "0.0%" and lower.number_format == "0.0%" and n.number_format == "#,##0"
    assert lower.value < rate.value < upper.value and n.value == 40
    for sheet in book:  # no float noise anywhere: at most four decimals (a percent with one)
        for cells in sheet.iter_rows(min_row=2, values_only=True):
            for value in cells:
                if isinstance(value, float):
                    assert round(value, 4) == value, (sheet.title, cells)
    ranking = book[next(n for n in book.sheetnames if n.startswith("Xếp hạng"))]
    assert [c.value for c in ranking[1]][-3:] == ["Khoảng thứ hạng", "Nhóm", "Ghi chú"]
    assert rate.value == round(rate.value, 3)  # the percent with one decimal that the dashboard shows
    small = next(r for r in ranking.iter_rows(min_row=2, values_only=True) if r[1] == "A2")
    assert small[3] == "không hiển thị" and small[4] is None  # as the dashboard says it
    assert "dưới 10 người trả lời: không hiển thị" in small
    summary = {r[0]: r[1] for r in book["Tóm tắt"].iter_rows(min_row=2, values_only=True)}
    assert summary["Người trả lời"] == 40 and summary["Độ tin cậy"] == "95 %"


def test_report_in_english_has_english_headers(client, login_as, report_wave):
    login_as("official")
    book = fetch(client, "en")
    assert {"Summary", "Indices", "Criteria", "Timeliness", "Expectations"} <= set(book.sheetnames)
    assert [c.value for c in book["Indices"][1]][:4] == ["Code", "Name", "Satisfied", "CI lower bound"]
    late = next(book["Timeliness"].iter_rows(min_row=2, values_only=True))
    assert late[0] == "Late results" and late[1] == round(late[1], 4)
