"""Dated units: waves take only units that existed in their period, ended units get no new
invitations or kiosk keys, rankings keep levels apart, the province is pooled per period."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.rates import compute_rates
from app.collect import invitations, kiosks, store
from app.extensions import db
from app.models import Wave
from app.programme import questionnaires, reorganise
from app.programme.questionnaires import questionnaire_of
from app.results import lineage_trend, overview
from app.results.filters import Filters
from app.results.snapshot import current
from app.results.table import respondents
from app.shared.refusal import Refusal
from tests import factories
from tests.app.test_admin_waves import wave_form


def _units():
    old = factories.agency("OLD", block="communes")
    old.level = "commune"
    new = factories.agency("NEW", block="communes")
    new.level = "commune"
    reorganise.apply("old_code,new_code,share,effective_on\nOLD,NEW,1,2025-07-01\n")
    db.session.commit()
    return old, new


def test_a_wave_takes_only_units_that_existed_in_its_period(client, login_as):
    login_as("admin")
    _units()
    version = factories.published()
    db.session.commit()
    refused = client.post("/admin/waves/new", data=wave_form(version.id, agencies=["OLD", "NEW"]))
    assert refused.status_code == 400 and "OLD" in refused.get_data(as_text=True)
    assert db.session.query(Wave).count() == 0
    history = wave_form(version.id, slug="w-2024", period_start="2024-01-01", period_end="2024-12-31",
                        agencies=["OLD"])
    assert client.post("/admin/waves/new", data=history).status_code == 302  # history stays possible
    later = client.post("/admin/waves/new", data=wave_form(version.id, agencies=["NEW"]))
    assert later.status_code == 302


def test_an_ended_unit_gets_no_invitations_nor_kiosk_keys(app):
    old, _new = _units()
    wave = factories.wave("w-old", agency_list=[old])
    db.session.commit()
    with pytest.raises(Refusal, match="ended on 2025-06-30"):
        invitations.issue(wave, old, 1)
    with pytest.raises(Refusal, match="ended on 2025-06-30"):
        kiosks.issue(old)


def test_departments_and_communes_are_ranked_apart(app):
    rng = np.random.default_rng(3)
    units = []
    for i in range(4):
        units.append(factories.agency(f"D{i}", block="local"))
        commune = factories.agency(f"C{i}", block="local")
        commune.level = "commune"
        units.append(commune)
    wave = factories.wave("mixed", agency_list=units)
    questionnaire = questionnaire_of(wave.survey_version)
    for unit in units:
        for _ in range(40):
            answers = factories.satisfied_answers(questionnaire)
            for code in questionnaire.rated_items:
                answers[code] = int(rng.integers(2 if unit.level == "commune" else 3, 6))
            store.store(wave, unit, answers, channel="paper", language="vi")
    db.session.commit()
    rankings = overview.rankings(current(wave), Filters())
    assert [(r["level"], sorted(r["table"]["agency"])) for r in rankings] == [
        ("department", ["D0", "D1", "D2", "D3"]), ("commune", ["C0", "C1", "C2", "C3"])]
    for ranking in rankings:  # each its own ranks, 1..4
        ranks = ranking["table"]["rank"].dropna().astype(int)
        assert ranks.min() == 1 and ranks.max() <= 4 and ranking["table"]["rank_upper"].max() <= 4
    assert rankings[1]["block"]["name_en"].endswith("communes")


def test_the_province_of_a_period_surveyed_as_two_old_provinces_is_their_pool(app):
    rng = np.random.default_rng(11)
    questionnaires.publish_shipped()
    waves = []
    for slug, codes in (("pa", ("PA1", "PA2")), ("pb", ("PB1",))):
        units = [factories.agency(c) for c in codes]
        wave = factories.wave(slug, agency_list=units, status="closed")
        wave.period_start, wave.period_end = date(2024, 1, 1), date(2024, 12, 31)
        questionnaire = questionnaire_of(wave.survey_version)
        for unit in units:
            for _ in range(30 + int(rng.integers(0, 20))):
                answers = factories.satisfied_answers(questionnaire)
                for code in questionnaire.rated_items:
                    answers[code] = int(rng.integers(1, 6))
                store.store(wave, unit, answers, channel="paper", language="vi")
        waves.append(wave)
    db.session.commit()
    points = lineage_trend.province("overall")
    assert [(p["wave"], p["basis"]) for p in points] == [("pa+pb", "reaggregated")]
    items = questionnaire.rated_items
    frame = pd.concat([respondents(w, items) for w in waves], ignore_index=True)
    frame["stratum_key"] = frame["agency"] + "|"
    expected = compute_rates(frame, items, factors=questionnaire.factor_items(), rule=questionnaire.rule,
                             weight="weight", strata="stratum_key")
    expected = expected[expected["measure"] == "overall"].iloc[0]
    assert points[0]["rate"] == pytest.approx(float(expected["rate"]), abs=1e-9)
    assert points[0]["se"] == pytest.approx(float(expected["se"]), abs=1e-9)
