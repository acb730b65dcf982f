"""The funnel page, its CSV, the dashboard's fragile warning and the methodology's R-indicator."""
from __future__ import annotations

import csv
import io
import re

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from tests import factories


def answer(wave, unit, invitations) -> None:
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for invitation in invitations:
        store.store(wave, unit, answers, channel="link", language="vi", invitation=invitation)


def three_agencies():
    """A1: 40 e-mailed, 4 answered (10 %: fragile); A2: 30 by SMS, 15 answered (50 %); A3: 50 links
    handed over, 2 answered (links are not judged: nobody knows how many reached a citizen)."""
    units = [factories.agency(code) for code in ("A1", "A2", "A3")]
    wave = factories.wave(agency_list=units)
    a1 = factories.invitations(wave, units[0], "email", 40, status="delivered", opened=9)
    answer(wave, units[0], a1[:4])
    a2 = factories.invitations(wave, units[1], "sms", 30, status="sent", opened=20)
    answer(wave, units[1], a2[:15])
    a3 = factories.invitations(wave, units[2], "link", 50)
    answer(wave, units[2], a3[:2])
    db.session.commit()
    return wave, units


def row_of(html: str, name: str) -> str:
    """The table row (<tr>…</tr>) that names this agency."""
    rows = [r for r in re.findall(r"<tr.*?</tr>", html, flags=re.S) if name in r]
    assert rows, name
    return rows[0]


def test_the_dashboard_marks_the_agency_below_the_threshold_only(client, login_as):
    wave, units = three_agencies()
    login_as("official")
    html = client.get(f"/dashboard/{wave.slug}").get_data(as_text=True)
    assert 'class="badge fragile"' in row_of(html, units[0].name_vi)
    assert "10,0" in row_of(html, units[0].name_vi)  # "fragile: 10,0 % of invited answered"
    assert "fragile" not in row_of(html, units[1].name_vi)  # 50 % answered
    assert "fragile" not in row_of(html, units[2].name_vi)  # links only: not judged
    assert html.count('class="badge fragile"') == 1
    page = client.get(f"/dashboard/{wave.slug}/agencies/A1").get_data(as_text=True)
    assert 'class="badge fragile"' in page
    assert 'class="badge fragile"' not in client.get(f"/dashboard/{wave.slug}/agencies/A2").get_data(as_text=True)


def test_the_threshold_is_the_setting(app, client, login_as):
    wave, units = three_agencies()
    app.config["FRAGILE_RESPONSE_RATE"] = 0.6  # now A2 (50 %) is fragile too
    login_as("official")
    html = client.get(f"/dashboard/{wave.slug}").get_data(as_text=True)
    assert 'class="badge fragile"' in row_of(html, units[1].name_vi)
    assert html.count('class="badge fragile"') == 2


def test_the_funnel_page_shows_counts_rates_totals_and_a_chart(client, login_as):
    wave, units = three_agencies()
    login_as("admin")
    response = client.get(f"/dashboard/{wave.slug}/funnel")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    first = row_of(html, units[0].name_vi)
    cells = re.findall(r'<td class="num">([^<]*)</td>', first)
    assert cells[:5] == ["40", "40", "40", "9", "4"]  # issued, sent, delivered, opened, completed
    assert cells[5].startswith("10,0") and cells[6].startswith("44,4") and cells[7].startswith("100")
    total = row_of(html, ">Total<") if ">Total<" in html else row_of(html, "Tổng")
    assert re.findall(r'<td class="num">([^<]*)</td>', total)[:5] == ["120", "70", "40", "31", "21"]
    assert 'data-figure="funnel-data"' in html  # the Plotly chart
    assert 'class="badge fragile"' in first
    # linked from the wave's admin page
    assert f"/dashboard/{wave.slug}/funnel" in client.get(f"/admin/waves/{wave.slug}").get_data(as_text=True)


def test_the_funnel_csv_and_an_agency_account_sees_its_own_rows(client, login_as):
    wave, units = three_agencies()
    login_as("agency", units[1])
    body = client.get(f"/dashboard/{wave.slug}/funnel.csv")
    assert body.status_code == 200 and "attachment" in body.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True))))
    assert [(r["agency"], r["channel"], r["issued"], r["completed"], r["response_rate"]) for r in rows] == [
        ("A2", "sms", "30", "15", "0.5")]
    html = client.get(f"/dashboard/{wave.slug}/funnel").get_data(as_text=True)
    assert units[1].name_vi in html and units[0].name_vi not in html


def test_the_methodology_page_shows_the_r_indicator(client, login_as):
    wave, _units = three_agencies()
    login_as("official")
    html = client.get(f"/dashboard/{wave.slug}/methodology").get_data(as_text=True)
    assert 'id="nonresponse"' in html
    # one week, so the model is answered ~ agency + channel; agency and channel coincide here, so
    # the propensities are the three rates 0.1, 0.5, 0.04 over 40, 30, 50 invitations
    rates = [0.1] * 40 + [0.5] * 30 + [0.04] * 50
    mean = sum(rates) / 120
    sd = (sum((r - mean) ** 2 for r in rates) / 119) ** 0.5
    assert f"{1 - 2 * sd:.3f}".replace(".", ",") in html or f"{1 - 2 * sd:.3f}" in html
    assert "No nonresponse adjustment" in html or "Không" in html
