"""The wide respondent table the exports read: the closed answers decoded from the coded strings
equal the stored answer documents; and how new responses and exclusions reach the figures."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from app.collect import store
from app.extensions import db
from app.models import Response
from app.programme.questionnaires import questionnaire_of
from app.reports import refresh
from app.results import design, overview, snapshot, table
from app.results.filters import Filters
from app.review import cleaning
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.demo_wave(responses=150)
    rows = db.session.query(Response).filter_by(wave_id=item.id).order_by(Response.id).limit(3).all()
    rows[0].stratum = "urban"
    cleaning.set_excluded(rows[1], True, "test entry, not a citizen")
    item.data_version += 1
    db.session.commit()
    return item


def test_closed_answers_in_the_table_equal_the_documents(wave):
    questionnaire = questionnaire_of(wave.survey_version)
    frame = table.respondents(wave, questionnaire.coded_questions, include_excluded=True)
    documents = {r.id: r.answers for r in db.session.query(Response).filter_by(wave_id=wave.id)}
    assert len(frame) == len(documents)
    for row in frame.itertuples(index=False):
        answers = documents[row.response_id]
        for code in questionnaire.coded_questions:
            value, stored = getattr(row, code), answers.get(code)
            if stored is None or stored == "na":
                assert np.isnan(value), (row.response_id, code)
            else:
                assert value == float(stored), (row.response_id, code)


def test_excluded_responses_are_left_out_unless_asked_for(wave):
    kept = table.respondents(wave)
    everything = table.respondents(wave, include_excluded=True)
    assert len(everything) == len(kept) + 1
    excluded = everything[everything["excluded"]]
    assert excluded["exclusion_reason"].tolist() == ["test entry, not a citizen"]
    assert (everything["stratum"] == "urban").sum() == 1


def test_new_responses_reach_the_figures_at_most_the_refresh_interval_late(app, wave):
    app.config["RESULTS_REFRESH_SECONDS"] = 3600
    before = snapshot.current(wave).version
    agency = wave.agencies[0]
    from app.collect import store

    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    store.store(wave, agency, answers, channel="paper", language="vi")
    db.session.commit()
    assert snapshot.current(wave).version == before  # within the interval: the roll-ups stand
    cleaning.set_excluded(db.session.query(Response).filter_by(wave_id=wave.id, excluded=False).first(),
                          True, "duplicate")
    db.session.commit()
    excluded = snapshot.current(wave).version
    assert excluded[0] == before[0] + 1 and excluded[1] > before[1]  # an administrator's change counts at once
    app.config["RESULTS_REFRESH_SECONDS"] = 0
    assert snapshot.current(wave).version[1] > excluded[1]  # the new response is added


def test_design_weights_are_frame_count_over_sample_size_per_stratum(app):
    """N_h / n_h, with h the finest counted (agency, stratum), else the agency; 1 without a count."""
    from types import SimpleNamespace

    from app.models import Agency, FrameCount

    wave = factories.wave("weights", agency_list=[factories.agency("A1"), factories.agency("A2"),
                                                   factories.agency("A3")])
    ids = {a.code: a.id for a in db.session.query(Agency)}
    counts = {("A1", ""): 1000, ("A1", "urban"): 600, ("A2", ""): 90}  # A1 urban counted apart; A3 not at all
    for (code, stratum), n in counts.items():
        db.session.add(FrameCount(wave_id=wave.id, agency_id=ids[code], stratum=stratum, transactions=n))
    db.session.commit()
    rows = [("A1", "urban")] * 3 + [("A1", "rural")] * 2 + [("A1", "")] * 5 + [("A2", "urban")] * 4 \
        + [("A2", None)] * 2 + [("A3", "")] * 7
    frame = pd.DataFrame(rows, columns=["agency", "stratum"]).sample(frac=1, random_state=3)
    expected = []
    for agency, stratum in frame.itertuples(index=False):  # row by row, the definition
        fine = (agency, stratum or "") in counts and stratum
        h = (agency, stratum) if fine else (agency, "")
        in_h = sum(1 for a, s in frame.itertuples(index=False)
                   if ((a, s) if (a, s or "") in counts and s else (a, "")) == h)
        expected.append(counts[h] / in_h if h in counts else 1.0)
    weights = design.design_weights(SimpleNamespace(id=wave.id), frame)
    np.testing.assert_allclose(weights, expected)
    assert weights[frame["agency"].to_numpy() == "A1"].sum() == pytest.approx(600 + 1000)  # urban apart


def test_new_responses_and_exclusions_reach_every_figure(app, wave):
    """New responses count within RESULTS_REFRESH_SECONDS; an exclusion counts at once."""
    from app.collect import store

    app.config["RESULTS_REFRESH_SECONDS"] = 0.2
    first = overview.overview(snapshot.current(wave), Filters())["n"]
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(5):
        store.store(wave, wave.agencies[0], answers, channel="paper", language="vi")
    db.session.commit()
    time.sleep(0.3)  # the interval has passed: the next view adds them
    assert overview.overview(snapshot.current(wave), Filters())["n"] == first + 5
    newest = db.session.query(Response).filter_by(wave_id=wave.id).order_by(Response.id.desc()).first()
    cleaning.set_excluded(newest, True, "duplicate")
    db.session.commit()
    assert overview.overview(snapshot.current(wave), Filters())["n"] == first + 4  # at once


def test_a_starting_worker_computes_the_newest_waves_figures(app, wave):
    """gunicorn.conf.py's post_worker_init runs warm_recent in a thread; here it runs inline."""
    snapshot.FIGURES.clear()
    refresh.warm_recent(app)
    assert any(key[:2] == ("overview", wave.id) for key in snapshot.FIGURES)
    pages = {key[-2] for key in snapshot.FIGURES if key[0] == "page" and key[1] == wave.id}
    assert pages == {"vi", "en"}  # the pages themselves, in each language


def test_an_export_holds_every_acknowledged_response_at_the_production_refresh_interval(app, wave, runner,
                                                                                        tmp_path):
    import csv

    from app.review import exchange

    app.config["RESULTS_REFRESH_SECONDS"] = 10.0  # the production default
    overview.overview(snapshot.current(wave), Filters())  # what an official's page view leaves cached
    exchange.export_table(wave)
    questionnaire = questionnaire_of(wave.survey_version)
    receipts = [store.store(wave, wave.agencies[0], factories.satisfied_answers(questionnaire),
                                channel="paper", language="vi").id for _ in range(30)]
    db.session.commit()
    total = db.session.query(Response).filter_by(wave_id=wave.id, excluded=False).count()
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"export.{fmt}"
        result = runner.invoke(args=["responses", "export", "--wave", wave.slug, "--format", fmt, "--output", str(path)])
        assert result.exit_code == 0, result.output
        text = path.read_text() if fmt == "csv" else exchange.xlsx_to_csv(path.read_bytes())
        ids = {int(row["response_id"]) for row in csv.DictReader(text.splitlines())}
        assert set(receipts) <= ids and len(ids) == total, fmt
    app.config["RESULTS_REFRESH_SECONDS"] = 0
