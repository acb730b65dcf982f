"""Uncertainty explained to non-statisticians (issue 13, item 16): a sentence beside each ranking,
a worked example on the methodology page, the agency's own rank with its interval, and
"strongest criteria" that are never below the province."""
from __future__ import annotations

import re

import pytest

from app.reports import agency_report
from app.results import overview
from app.results.filters import Filters
from app.results.snapshot import current
from tests import factories


@pytest.fixture
def demo_wave(app):
    return factories.demo_wave(responses=1500)


def english(client, url):
    return client.get(url, query_string={"lang": "en"}).get_data(as_text=True)


def test_every_ranking_has_a_sentence_saying_what_intervals_and_tiers_mean(client, login_as, demo_wave):
    login_as("official")
    page = english(client, "/dashboard/demo")
    rankings = page.count('class="pair ranking"')
    assert rankings == 3
    assert page.count("How to read it: a rank interval such as 3–7 means") == rankings
    assert page.count("agencies in the same tier cannot be told apart with this sample") >= rankings
    vi = client.get("/dashboard/demo", query_string={"lang": "vi"}).get_data(as_text=True)
    assert vi.count("Cách đọc: khoảng thứ hạng") == rankings


def test_methodology_page_works_an_example(client, login_as, demo_wave):
    login_as("official")
    page = english(client, "/dashboard/demo/methodology")
    assert 'id="ranks"' in page and "Reading a ranking: a worked example" in page
    assert "agency A is somewhere between 2nd and 7th" in page and "A tier is a group of agencies" in page


def test_agency_page_shows_its_own_rank_and_interval(app, client, login_as, demo_wave):
    ranking = next(r for r in overview.overview(current(demo_wave), Filters())["rankings"]
                   if r["block"]["code"] == "communes")
    table = ranking["table"]
    row = table[~table["flagged"].astype(bool) & ~table["suppressed"].astype(bool)].iloc[0]
    login_as("official")
    page = english(client, f"/dashboard/demo/agencies/{row['agency']}")
    ranked = int((~table["flagged"].astype(bool) & ~table["suppressed"].astype(bool)).sum())
    assert f"{int(row['rank'])} / {ranked}" in page
    assert f"Rank interval {int(row['rank_lower'])}–{int(row['rank_upper'])} · tier {int(row['tier'])}" in page
    assert "true rank lies between" in page


def test_strongest_criteria_are_never_below_the_province(app, demo_wave):
    fewer = 0
    with app.test_request_context("/"):
        for agency in demo_wave.agencies:
            report = agency_report.report(current(demo_wave), agency)
            assert all(r["difference"] > 0 for r in report["strongest"]), agency.code
            assert all(r["difference"] < 0 for r in report["weakest"]), agency.code
            fewer += not report["suppressed"] and len(report["strongest"]) < agency_report.SHOWN
    assert fewer > 0  # the case that used to list negative differences as strengths occurs


def test_agency_below_the_province_everywhere_says_so(app, client, login_as, demo_wave):
    with app.test_request_context("/"):
        reports = {a.code: agency_report.report(current(demo_wave), a) for a in demo_wave.agencies}
    code = next((c for c, r in reports.items() if not r["suppressed"] and not r["strongest"]), None)
    if code is None:
        pytest.skip("every agency is above the province on some criterion in this sample")
    login_as("official")
    page = english(client, f"/dashboard/demo/agencies/{code}")
    strongest = re.search(r"<caption>Strongest criteria</caption>(.*?)</table>", page, re.S).group(1)
    assert "No criterion on this side of the province." in strongest and "-" not in re.sub(r"<[^>]+>", "", strongest)
