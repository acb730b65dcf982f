"""The wave's estimation settings (fpc, raking to margins) reach the analysis engine."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from analysis.rates import compute_rates
from app.extensions import db
from app.models import Agency, Margin
from app.programme.questionnaires import questionnaire_of
from app.results import estimates
from app.results.snapshot import current
from app.results.table import respondents
from app.shared.refusal import Refusal
from tests import factories


def test_raking_to_wave_margins_matches_the_engine_run_by_hand(app):
    wave = factories.demo_wave(responses=500)
    frame = respondents(wave, [])
    totals = {k: float(v) * 37.0 * (1.2 if k == "kiosk" else 1) for k, v in frame["channel"].value_counts().items()}
    scale = sum(frame["channel"].value_counts()) * 37.0 / sum(totals.values())
    totals = {k: v * scale for k, v in totals.items()}
    agencies = frame["agency"].value_counts()
    for code, n in agencies.items():
        db.session.add(Margin(wave_id=wave.id, variable="agency", category=code, total=n * 37.0))
    for category, total in totals.items():
        db.session.add(Margin(wave_id=wave.id, variable="channel", category=category, total=total))
    wave.data_version += 1
    db.session.commit()
    rows = estimates.compute(current(wave), ["block"])
    questionnaire = questionnaire_of(wave.survey_version)
    manual = respondents(wave, questionnaire.rated_items)
    manual["stratum_key"] = manual["agency"] + "|"
    margins = pd.DataFrame(db.session.execute(select(Margin.variable, Margin.category, Margin.total)).all(),
                           columns=["variable", "category", "total"])
    expected = compute_rates(manual, questionnaire.rated_items, factors=questionnaire.factor_items(),
                             rule=questionnaire.rule, by=["block"], weight="weight", strata="stratum_key",
                             margins=margins)
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), expected.reset_index(drop=True))
    unraked = compute_rates(manual, questionnaire.rated_items, factors=questionnaire.factor_items(),
                            rule=questionnaire.rule, by=["block"], weight="weight", strata="stratum_key")
    assert not rows["se"].equals(unraked["se"])


def test_margins_that_do_not_fit_the_data_are_a_clear_error(app):
    wave = factories.demo_wave(responses=200)
    db.session.add(Margin(wave_id=wave.id, variable="agency", category="NOT-AN-AGENCY", total=100))
    wave.data_version += 1
    db.session.commit()
    with pytest.raises(Refusal, match="settings"):
        estimates.compute(current(wave), ["agency"])


def test_fpc_shrinks_standard_errors(app):
    wave = factories.demo_wave(responses=400)
    plain = estimates.compute(current(wave), [])
    wave.settings = dict(wave.settings or {}, fpc=True)
    wave.data_version += 1
    db.session.commit()
    corrected = estimates.compute(current(wave), [])
    assert (corrected["se"] <= plain["se"] + 1e-15).all() and (corrected["se"] < plain["se"]).any()
    assert db.session.scalar(select(Agency.id)) is not None
