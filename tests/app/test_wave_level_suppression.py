"""A wave with fewer answers than MIN_GROUP_SIZE publishes no rate anywhere (issue 13, item 7):
the province total and every SIPAS figure follow the same rule (app.results.disclosure) as any
other cell, on every page, in the Excel report, the estimates CSV and the API."""
from __future__ import annotations

import io
import json
import math
import re

import pytest
from openpyxl import load_workbook

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from app.results import overview
from app.results.filters import Filters
from app.results.snapshot import current
from tests import factories

PAGES = ("/dashboard/tiny", "/dashboard/tiny/agencies/A1", "/results/tiny", "/dashboard/tiny/print")
# a formatted rate: "50,0 %", "100 %", "66.7%" (not the "95%" of "95% CI", nor Decision 766's
# definition "100% minus the shares ...")
RATE = re.compile(r"(?<![\w,.])(?!95 ?%)\d{1,3}(?:[,.]\d)? ?%(?! (?:minus|trừ))")


@pytest.fixture(params=["sipas-2017", "sipas-2022", "per-case-61"])
def tiny(app, request):
    """A new wave with three answers: two late (one with an apology letter), one on time."""
    agency = factories.agency("A1")
    wave = factories.wave("tiny", agency_list=[agency], survey=request.param)
    questionnaire = questionnaire_of(wave.survey_version)
    codes = {q.code for q in questionnaire.questions}
    base = factories.satisfied_answers(questionnaire)
    for late, apology in ((1, 1), (1, 0), (0, None)):
        given = {**base, "late": late, "on_time": 1 - late, "apology": apology}
        store.store(wave, agency, {k: v for k, v in given.items() if k in codes and v is not None},
                        channel="link", language="vi")
    wave.data_version += 1
    wave.results_public = True
    db.session.commit()
    return wave


def without_tokens(html: str) -> str:
    """The page less its random CSRF tokens (one may contain "NaN")."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", html, flags=re.S))


def chart_values(html: str) -> list[float]:
    """Every finite x of every chart's traces (rates are drawn on x)."""
    out = []
    for body in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        for trace in json.loads(body).get("data", []):
            out += [v for v in trace.get("x") or [] if isinstance(v, int | float) and math.isfinite(v)]
    return out


def test_every_page_shows_no_rate_for_a_wave_of_three(client, login_as, tiny):
    login_as("admin")
    for url in PAGES:
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert RATE.findall(visible_text(html)) == [], url
        assert "NaN" not in without_tokens(html), url
        assert chart_values(html) == [], url
    late = client.get("/dashboard/tiny").get_data(as_text=True)
    assert "Dưới 10 người trả lời, hoặc sẽ làm lộ" in late  # said, not silently blank


def test_sipas_figures_and_province_total_are_suppressed_like_cells(app, tiny):
    data = overview.overview(current(tiny), Filters())
    assert data["overall"] is None and data["overall_suppressed"]
    for name in ("late", "apology", "decision766"):
        row = data["extras"][name]
        assert row is None or (row["suppressed"] and math.isnan(row["rate"])), name
    shares = data["extras"]["expectations"]
    assert shares is None or (shares["suppressed"].all() and shares["rate"].isna().all())


def test_excel_report_csv_and_api_agree_and_show_no_rate(client, make_user, tiny):
    user, password = make_user("admin")
    client.post("/login", data={"email": user.email, "password": password})
    book = load_workbook(io.BytesIO(client.get("/dashboard/tiny/report.xlsx").data))
    for sheet in book:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert value in (1, 2, 3), (sheet.title, row)  # counts of respondents only
                elif isinstance(value, str):
                    assert not RATE.search(value), (sheet.title, row)
    csv_text = client.get("/dashboard/tiny/estimates.csv").get_data(as_text=True).splitlines()
    header = csv_text[0].split(",")
    for line in csv_text[1:]:
        row = dict(zip(header, line.split(","), strict=True))
        assert row["rate"] == "" and row["suppressed"] == "1"
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()
    for by in ("", "agency", "channel"):
        api = client.get(f"/api/v1/waves/tiny/estimates?by={by}", headers={"Authorization": f"Bearer {token['token']}"})
        assert api.status_code == 200, api.get_data(as_text=True)
        rows = api.get_json()["rows"]
        assert rows and all(r["rate"] is None and r["suppressed"] for r in rows)


def test_a_filter_cell_of_three_shows_no_late_share_or_index(app, client, login_as):
    """The same rule inside a larger wave: 3 kiosk answers among 15 (the kiosk cell is small)."""
    agency = factories.agency("A1")
    wave = factories.wave("mixed", agency_list=[agency])
    questionnaire = questionnaire_of(wave.survey_version)
    base = factories.satisfied_answers(questionnaire)
    for i in range(15):
        store.store(wave, agency, {**base, "late": int(i % 2 == 0)}, channel="kiosk" if i < 3 else "link",
                        language="vi")
    wave.data_version += 1
    db.session.commit()
    login_as("official")
    html = client.get("/dashboard/mixed?channel=kiosk").get_data(as_text=True)
    assert RATE.findall(visible_text(html)) == [] and chart_values(html) == []
    extras = overview.overview(current(wave), Filters(channel="kiosk"))["extras"]
    assert extras["late"]["suppressed"] and math.isnan(extras["late"]["rate"])
    whole = client.get("/dashboard/mixed").get_data(as_text=True)  # 15 answers in all: shown
    assert RATE.findall(visible_text(whole))


def test_a_figure_with_nobody_in_its_base_is_a_dash_not_nan(app, client, login_as):
    """No late result yet: the apology card has a base of 0 and says so without 'NaN %'."""
    agency = factories.agency("A1")
    wave = factories.wave("ontime", agency_list=[agency])
    base = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(3):
        store.store(wave, agency, {**base, "late": 0}, channel="link", language="vi")
    wave.data_version += 1
    db.session.commit()
    login_as("official")
    for url in ("/dashboard/ontime", "/dashboard/ontime/agencies/A1", "/dashboard/ontime/print"):
        html = client.get(url).get_data(as_text=True)
        assert "NaN" not in without_tokens(html) and RATE.findall(visible_text(html)) == [], url
