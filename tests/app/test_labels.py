"""Labels say what a figure is (issue 13, item 10): the apology card's base, expectation shares,
a question coded `overall`, the last valid day on QR slips, demo answers never in the future."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app import demo
from app.collect import store
from app.extensions import db
from app.models import Response
from app.programme import questionnaires
from app.reports import charts
from app.shared import qr
from tests import factories

ONE_QUESTION_CODED_OVERALL = """
id: overall-item
version: 1
title: {vi: Một câu hỏi, en: One question}
languages: [vi, en]
scales:
  rating3:
    points:
      - {value: 1, label: {vi: Không hài lòng, en: Dissatisfied}}
      - {value: 2, label: {vi: Hài lòng, en: Satisfied}}
      - {value: 3, label: {vi: Rất hài lòng, en: Very satisfied}}
    satisfied: [2, 3]
sections:
  - code: main
    title: {vi: Đánh giá, en: Rating}
    factor: F
    questions:
      - code: overall
        type: scale
        scale: rating3
        required: true
        text: {vi: Mức hài lòng chung với cán bộ một cửa, en: Satisfaction with the one-stop desk staff}
indices:
  rule: pooled
  overall: false
  factors:
    - code: F
      name: {vi: Cán bộ, en: Staff}
      items: [overall]
"""


@pytest.fixture
def demo_wave(app):
    return factories.demo_wave(responses=600)


def english(client, url):
    return client.get(url, headers={"Accept-Language": "en"}, query_string={"lang": "en"}).get_data(as_text=True)


def test_apology_card_names_its_base_not_all_late_results(client, login_as, demo_wave):
    login_as("official")
    page = english(client, "/dashboard/demo")
    assert "late results" not in re.sub(r"<[^>]+>", " ", page).split("Apology letter received when late")[1][:400]
    assert re.search(r"Base: the [\d,.]+ respondents with a late result who answered this optional question", page)


def test_expectations_are_labelled_as_shares_not_satisfaction(client, login_as, demo_wave):
    login_as("official")
    page = english(client, "/dashboard/demo")
    section = page.split("<h2>Expectations</h2>")[1].split("</section>")[0]
    assert "Share choosing it (95% CI)" in section and "Satisfied" not in section
    assert "Share choosing it (%)" in section.split("expectations-data")[2]  # the chart's axis


def test_a_question_coded_overall_is_named_by_its_text_in_the_report(app, client, login_as):
    version, _ = questionnaires.publish_source(ONE_QUESTION_CODED_OVERALL, "overall-item.v1.yaml")
    agency = factories.agency("A1")
    wave = factories.wave("ov", agency_list=[agency], survey="sipas-2017")
    wave.survey_version = version
    for value in [2] * 8 + [1] * 4:
        store.store(wave, agency, {"overall": value}, channel="link", language="vi")
    wave.data_version += 1
    db.session.commit()
    with app.test_request_context("/?lang=en"):
        assert charts.names(wave)["overall"] == "Satisfaction with the one-stop desk staff"
    login_as("official")
    book = load_workbook(io.BytesIO(client.get("/dashboard/ov/report.xlsx").data))
    text = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v]
    assert any("Mức hài lòng chung với cán bộ một cửa" in t for t in text)
    assert not any(t in ("Overall index", "Chỉ số chung") for t in text)


@pytest.mark.parametrize(("expires", "shown"), [
    (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), date(2026, 12, 31)),   # 1/1/2027 00:00 in Hà Nội
    (datetime(2026, 12, 31, 17, 0), date(2026, 12, 31)),                # naive = UTC, as stored
    (datetime(2027, 1, 1, 3, 0, tzinfo=UTC), date(2027, 1, 1)),         # 10:00 on 1/1: still valid that day
])
def test_slip_shows_the_last_valid_day_in_vietnam(expires, shown):
    assert qr.last_valid_day(expires) == shown


def test_printed_slips_say_the_last_valid_day(app, client, login_as):
    from flask_babel import force_locale, format_date

    from app.models import Invitation

    wave = factories.wave("slips")
    db.session.commit()
    login_as("admin")
    page = client.post("/admin/waves/slips/invitations",
                       data={"agency": "A1", "count": "1", "output": "sheet"}).get_data(as_text=True)
    expires = db.session.scalar(select(Invitation.expires_at).where(Invitation.wave_id == wave.id))
    with app.test_request_context("/"), force_locale("vi"):
        shown = format_date(qr.last_valid_day(expires), "medium")
    assert f"Có hiệu lực đến {shown}" in page or shown in page.split("slip-exp")[1][:200]


def test_demo_answers_are_never_dated_after_today(app):
    demo.seed(responses=300, password="Demo-password-1")
    db.session.commit()
    latest = db.session.scalar(select(func.max(Response.submitted_on)))
    assert latest <= store.local_today()
