"""The dashboard's figures equal `python -m analysis rates` run on the exported CSV of the wave."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from app.i18n import percent
from app.programme.questionnaires import questionnaire_of
from app.results import overview
from app.results.filters import Filters
from app.results.snapshot import current
from app.review import exchange
from tests import factories


def cli_rates(wave, tmp_path, by: str | None) -> list[dict]:
    export = tmp_path / "wave.csv"
    export.write_bytes(exchange.export_bytes(wave, "csv"))
    questionnaire = questionnaire_of(wave.survey_version)
    factors = tmp_path / "factors.csv"
    factors.write_text("item,factor\n" + "".join(f"{i},{f}\n" for f, items in questionnaire.factor_items().items()
                                                  for i in items))
    args = [sys.executable, "-m", "analysis", "rates", "--input", str(export), "--items",
            ",".join(questionnaire.rated_items), "--factors", str(factors), "--rule", questionnaire.rule,
            "--weight", "weight", "--strata", "agency"] + (["--by", by] if by else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return list(csv.DictReader(io.StringIO(out)))


@pytest.fixture
def official(client, login_as):
    return login_as("official")


def test_dashboard_overall_and_rankings_equal_the_cli_on_the_export(app, client, official, tmp_path):
    wave = factories.demo_wave(responses=800)
    whole = {r["measure"]: r for r in cli_rates(wave, tmp_path, None)}
    per_agency = {r["agency"]: r for r in cli_rates(wave, tmp_path, "agency") if r["measure"] == "overall"}

    page = client.get("/dashboard/demo?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.test_request_context("/?lang=en"):
        expected_overall = percent(float(whole["overall"]["rate"]))
    assert expected_overall in html

    data = overview.overview(current(wave), Filters())
    assert data["overall"]["rate"] == pytest.approx(float(whole["overall"]["rate"]), abs=1e-9)
    assert data["overall"]["ci_lower"] == pytest.approx(float(whole["overall"]["ci_lower"]), abs=1e-9)
    for factor in data["factors"].to_dict(orient="records"):
        assert factor["rate"] == pytest.approx(float(whole[factor["measure"]]["rate"]), abs=1e-9)
    ranked = 0
    for ranking in data["rankings"]:
        for row in ranking["table"].to_dict(orient="records"):
            if row["suppressed"]:
                continue
            cli = per_agency[row["agency"]]
            assert row["rate"] == pytest.approx(float(cli["rate"]), abs=1e-9)
            assert row["ci_upper"] == pytest.approx(float(cli["ci_upper"]), abs=1e-9)
            assert row["n"] == int(cli["n"])
            ranked += 1
    assert ranked > 20


def test_estimates_csv_download_equals_the_cli(app, client, official, tmp_path):
    wave = factories.demo_wave(responses=600)
    cli = {(r["agency"], r["measure"]): r for r in cli_rates(wave, tmp_path, "agency")}
    response = client.get("/dashboard/demo/estimates.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0])[:9] == ["agency", "measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]
    checked = 0
    for row in rows:
        if row["suppressed"] == "1":
            assert row["rate"] == ""
            continue
        assert float(row["rate"]) == pytest.approx(float(cli[(row["agency"], row["measure"])]["rate"]), abs=1e-9)
        checked += 1
    assert checked > 100


def test_channel_filter_is_a_domain_estimate(app, client, official):
    wave = factories.demo_wave(responses=600)
    from app.results import estimates

    by_channel = estimates.compute(current(wave), ["channel"])
    expected = by_channel[(by_channel["channel"] == "kiosk") & (by_channel["measure"] == "overall")].iloc[0]
    data = overview.overview(current(wave), Filters(channel="kiosk"))
    assert data["overall"]["rate"] == pytest.approx(expected["rate"])
    assert client.get("/dashboard/demo?channel=kiosk&block=communes").status_code == 200
