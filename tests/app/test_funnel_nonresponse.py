"""The wave setting `nonresponse`: weights × issued_c / completed_c on the funnel cells (agency ×
invitation channel), through the roll-ups, the estimates API and the methodology page."""
from __future__ import annotations

import re

import pytest

from app.collect import store
from app.extensions import db
from app.models import FrameCount, Wave
from app.programme.questionnaires import questionnaire_of
from tests import factories
from tests.app.test_lineage_trend import province  # noqa: F401  (the fixture: old provinces merged)


def answers(wave, satisfied: bool) -> dict:
    questionnaire = questionnaire_of(wave.survey_version)
    out = factories.satisfied_answers(questionnaire)
    if not satisfied:
        out.update({code: 1 for code in questionnaire.rated_items})
    return out


def funnel_wave(frame: bool = False) -> Wave:
    """A1: 40 e-mailed, 20 answered, all satisfied; 100 by SMS, 10 answered, none satisfied; 10
    paper forms (no invitation), satisfied. Unadjusted: 30 satisfied of 40 = 0.75. Adjusted:
    factors e-mail 40/20 = 2, SMS 100/10 = 10, paper 1, so the rate is
    (20·2 + 10·1) / (20·2 + 10·10 + 10·1) = 50/150 = 1/3."""
    unit = factories.agency("A1")
    wave = factories.wave(agency_list=[unit])
    email = factories.invitations(wave, unit, "email", 40, status="sent")
    sms = factories.invitations(wave, unit, "sms", 100, status="delivered")
    for invitation in email[:20]:
        store.store(wave, unit, answers(wave, True), channel="link", language="vi", invitation=invitation)
    for invitation in sms[:10]:
        store.store(wave, unit, answers(wave, False), channel="link", language="vi", invitation=invitation)
    for _ in range(10):
        store.store(wave, unit, answers(wave, True), channel="paper", language="vi")
    if frame:
        db.session.add(FrameCount(wave_id=wave.id, agency_id=unit.id, stratum="", transactions=4000))
    db.session.commit()
    return wave


def overall(client, auth) -> dict:
    rows = client.get("/api/v1/waves/w1/estimates", headers=auth).get_json()["rows"]
    return next(r for r in rows if r["measure"] == "overall")


@pytest.fixture
def auth(client, make_user) -> dict:
    user, password = make_user("official")
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_setting_adjusts_the_figures_and_can_be_turned_off_again(client, auth):
    wave = funnel_wave()
    before = overall(client, auth)
    assert before["rate"] == pytest.approx(0.75) and before["n"] == 40
    wave.change_settings(nonresponse=True)  # the roll-ups' layout changes: the next read rebuilds them
    db.session.commit()
    after = overall(client, auth)
    assert after["rate"] == pytest.approx(1 / 3)
    assert after["n"] == 40
    assert after["deff"] > 1  # unequal weights
    wave.change_settings(nonresponse=False)
    db.session.commit()
    assert overall(client, auth)["rate"] == pytest.approx(0.75)


def test_the_stratum_keeps_its_frame_total_and_the_methodology_shows_the_factors(client, auth, login_as):
    from app.results import rolled, snapshot

    wave = funnel_wave(frame=True)
    wave.change_settings(nonresponse=True)
    db.session.commit()
    assert overall(client, auth)["rate"] == pytest.approx(1 / 3)
    cm = rolled.read(snapshot.current(wave))
    weight = cm.keys["weight"].to_numpy()
    assert float((weight * cm.count).sum()) == pytest.approx(4000.0)  # N_h kept
    by_channel = {c: w for c, w in zip(cm.keys["invited_by"], weight, strict=True)}
    # N_h / Σ d f = 4000 / 150 per unit of factor: e-mail 2, SMS 10, paper (no invitation) 1
    assert by_channel == pytest.approx({"email": 2 * 4000 / 150, "sms": 10 * 4000 / 150, "": 4000 / 150})
    login_as("official")
    html = client.get(f"/dashboard/{wave.slug}/methodology?lang=en").get_data(as_text=True)
    assert "Weighting-class adjustment on" in html
    assert "from 2,00 to 10,00" in html or "from 2.00 to 10.00" in html


def test_the_wave_form_saves_the_setting(client, login_as):
    wave = funnel_wave()
    login_as("admin")
    form = {"slug": wave.slug, "name_vi": wave.name_vi, "name_en": wave.name_en, "period_start": "2026-01-01",
            "period_end": "2026-12-31", "survey_version": str(wave.survey_version_id), "agencies": ["A1"],
            "channels": list(wave.channels), "purge_dossiers": "y", "nonresponse": "y"}
    assert client.post(f"/admin/waves/{wave.slug}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).estimation.nonresponse is True
    html = client.get(f"/admin/waves/{wave.slug}/edit").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="nonresponse"[^>]*>', html)
    assert box is not None and "checked" in box.group(0)


def test_the_export_carries_the_adjusted_weights_and_the_analysis_cli_agrees(client, auth, tmp_path):
    """The respondent table's weight is the figures' weight, so `python -m analysis rates` on the
    exported CSV gives the API's adjusted figures."""
    import csv
    import io
    import subprocess
    import sys

    from app.results.table import respondents
    from app.review import exchange

    wave = funnel_wave(frame=True)
    wave.change_settings(nonresponse=True)
    db.session.commit()
    table = respondents(wave, codes=[])
    assert table["weight"].tolist() == pytest.approx([2 * 4000 / 150] * 20 + [10 * 4000 / 150] * 10
                                                     + [4000 / 150] * 10)
    assert "invited_by" not in table.columns
    export = tmp_path / "wave.csv"
    export.write_bytes(exchange.export_bytes(wave, "csv"))
    questionnaire = questionnaire_of(wave.survey_version)
    factors = tmp_path / "factors.csv"
    with factors.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "factor"])
        for factor, items in questionnaire.factor_items().items():
            writer.writerows([item, factor] for item in items)
    cli = subprocess.run([sys.executable, "-m", "analysis", "rates", "--input", str(export),
                          "--items", ",".join(questionnaire.rated_items), "--factors", str(factors),
                          "--rule", questionnaire.rule, "--weight", "weight", "--strata", "agency"],
                         capture_output=True, text=True, check=True)
    expected = {r["measure"]: r for r in csv.DictReader(io.StringIO(cli.stdout))}
    found = overall(client, auth)
    assert float(expected["overall"]["rate"]) == pytest.approx(found["rate"], rel=1e-6)  # (weights rounded in the CSV)
    assert float(expected["overall"]["se"]) == pytest.approx(found["se"], rel=1e-6)


def test_waves_pooled_across_the_setting_still_give_a_trend(merged_provinces):
    """Two old provinces' waves of one period are stacked for a merged unit's point: one adjusting
    for nonresponse (its cells carry the invitation channel), one not. Paper answers only, so every
    factor is 1 and the point equals the unadjusted pooled estimate."""
    from app.models import Agency
    from app.results import lineage_trend
    from tests.app.test_lineage_trend import _expected, _frame, _point

    merged_provinces["a"].change_settings(nonresponse=True)
    db.session.commit()
    agency = db.session.query(Agency).filter_by(code="N").one()
    pooled = _point(lineage_trend.trend(agency, "overall"), "a-2024+b-2024")
    expected = _expected(_frame(merged_provinces["a"], merged_provinces["b"]), {"A1", "B1"},
                         questionnaire_of(merged_provinces["a"].survey_version))
    assert pooled["rate"] == pytest.approx(float(expected["rate"]), abs=1e-9)
    assert pooled["basis"] == "reaggregated"


@pytest.fixture
def merged_provinces(request):
    """test_lineage_trend's waves of old provinces A and B, merged into today's units."""
    return request.getfixturevalue("province")
