"""The pages print the confidence level the figures were computed at (the wave's setting), not a
fixed 95%; rank intervals and the trend arrows say the level they use (95% whatever the wave)."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from tests import factories


@pytest.fixture
def wave_at_90(app):
    wave = factories.demo_wave(responses=400)
    wave.change_settings(level=0.90)
    db.session.commit()
    return wave


def page(client, url, lang="en"):
    response = client.get(url, query_string={"lang": lang})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_dashboard_prints_the_waves_level(client, login_as, wave_at_90):
    login_as("official")
    html = page(client, "/dashboard/demo")
    assert "90% CI" in html and "Satisfied (90% CI)" in html and "Share choosing it (90% CI)" in html
    assert "95% CI" not in html
    # the rank intervals are computed at 95% whatever the wave's level, and say so
    assert "lies between 3rd and 7th (95% confidence)" in html
    vi = page(client, "/dashboard/demo", "vi")
    assert re.search(r"KTC 90\s?%", vi) and not re.search(r"KTC 95\s?%", vi)


def test_the_agency_page_prints_the_waves_level(client, login_as, wave_at_90):
    login_as("official")
    html = page(client, "/dashboard/demo/agencies/SNV")
    assert "90% CI" in html and "95% CI" not in html
    assert "(90%, Holm-adjusted across all criteria)" in html
    assert "Satisfied (90% CI)" in html  # the trend table: one wave, one level
    vi = page(client, "/dashboard/demo/agencies/SNV", "vi")
    assert re.search(r"KTC 90\s?%", vi) and not re.search(r"KTC 95\s?%", vi)
    assert re.search(r"\(90\s?%, hiệu chỉnh Holm", vi)


def test_the_methodology_page_prints_the_waves_level(client, login_as, wave_at_90):
    login_as("official")
    html = page(client, "/dashboard/demo/methodology")
    assert "intervals at 90%." in html and "(90% CI 82%–90%)" in html
    assert "95% CI" not in html
    assert "the rank interval holds 95% of the ranks" in html


def test_the_print_and_public_pages_print_the_waves_level(client, login_as, wave_at_90):
    wave_at_90.status, wave_at_90.results_public = "closed", True
    db.session.commit()
    public = page(client, "/results/demo")
    assert "90% CI" in public and "95% CI" not in public
    login_as("official")
    printed = page(client, "/dashboard/demo/print")
    assert "90% CI" in printed and "95% CI" not in printed


@pytest.fixture
def two_waves(app):
    return factories.two_waves(({"ONE": 4, "TWO": 4}, {"ONE": 4, "TWO": 4}), per_agency=30, seed=3)


def test_trends_print_the_level_the_waves_share(client, login_as, two_waves):
    for wave in two_waves:
        wave.change_settings(level=0.90)
    db.session.commit()
    login_as("official")
    html = page(client, "/dashboard/trends")
    assert html.count("Satisfied (90% CI)") == 2 and html.count("index per wave with 90% confidence interval") == 2
    assert "95% CI" not in html
    # the arrows compare waves at 95% (app/results/trends.py), whatever the waves' level
    assert "statistically significant (95%, Holm-adjusted)" in html


def test_trends_say_each_waves_level_when_they_differ(client, login_as, two_waves):
    two_waves[0].change_settings(level=0.90)
    db.session.commit()
    login_as("official")
    html = page(client, "/dashboard/trends")
    assert html.count("Satisfied (CI)") == 2 and "90% CI" not in html and "95% CI" not in html
    names = [w.name("en") for w in two_waves]
    assert html.count(f"confidence level: {names[0]} 90%; {names[1]} 95%.") == 2
    agency = page(client, "/dashboard/w2026/agencies/ONE")
    assert "Satisfied (CI)" in agency and f"confidence level: {names[0]} 90%; {names[1]} 95%." in agency
    vi = page(client, "/dashboard/trends", "vi")
    assert "Hài lòng (KTC)" in vi and "theo độ tin cậy của chính đợt đó" in vi


def test_levels_are_formatted_per_language_with_a_decimal_only_when_needed(app):
    from flask_babel import force_locale

    from app.i18n import confidence

    with app.test_request_context():
        with force_locale("en"):
            assert (confidence(0.9), confidence(0.95), confidence(0.975)) == ("90%", "95%", "97.5%")
        with force_locale("vi"):
            assert re.fullmatch(r"97,5\s%", confidence(0.975)) and re.fullmatch(r"90\s%", confidence(0.9))
