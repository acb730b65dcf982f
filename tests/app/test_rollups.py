"""Roll-ups (issue 15): figures from per-cell sums kept in the database equal the microdata path
(the export's respondent table through analysis.rates / analysis.sipas) to 1e-9, and the cells
kept up to date response by response equal a rebuild from the responses."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from analysis import sipas
from analysis.rates import compute_rates
from app.collect import store
from app.extensions import db
from app.models import FrameCount, Margin, Response, RollupCell, RollupState, Wave
from app.programme.questionnaires import questionnaire_of
from app.results import design, estimates, rollup, sipas_figures, snapshot
from app.results.filters import Filters, in_domain
from app.results.respondents import expectation_codes, late_column
from app.results.table import respondents
from app.review import cleaning
from tests import factories

NUMBERS = ["rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]


def microdata(wave, by: list[str]) -> pd.DataFrame:
    """The estimates as the first release computed them: every response in a table."""
    questionnaire = questionnaire_of(wave.survey_version)
    items = questionnaire.rated_items
    options = design.options(wave)
    margins = options["margins"]
    extra = [] if margins is None else [v for v in margins["variable"].unique() if v not in estimates.DOMAINS]
    data = respondents(wave, [*items, *extra, *(c for c in by if c == "service_field")])
    if wave.estimation.fpc:
        data["population"] = design.stratum_populations(wave, data)
    satisfied = sorted({v for code in items for v in questionnaire.satisfied_values(code)})
    return compute_rates(data, items, by=by or None, factors=questionnaire.factor_items() or None,
                         rule=questionnaire.rule or "pooled", satisfied=satisfied, **options)


def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got, expected = got.reset_index(drop=True), expected.reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    assert got["measure"].tolist() == expected["measure"].tolist()
    assert got["n"].tolist() == expected["n"].tolist()
    for column in got.columns:
        if column in NUMBERS:
            np.testing.assert_allclose(got[column].to_numpy(float), expected[column].to_numpy(float),
                                       rtol=0, atol=1e-9, err_msg=column)
        elif column not in ("n", "measure"):
            assert got[column].astype(str).tolist() == expected[column].astype(str).tolist(), column


def weighted(wave, *, rake: bool, fpc: bool = False) -> None:
    """Frame counts per agency (design weights) and, with ``rake``, channel margins."""
    counts = dict(db.session.execute(select(Response.agency_id, func.count()).where(Response.wave_id == wave.id)
                                     .group_by(Response.agency_id)).all())
    db.session.query(FrameCount).filter_by(wave_id=wave.id).delete()
    for i, (agency_id, n) in enumerate(sorted(counts.items())):
        db.session.add(FrameCount(wave_id=wave.id, agency_id=agency_id, transactions=n * (20 + 7 * i)))
    if rake:
        frame = respondents(wave, [])
        total = sum(n * (20 + 7 * i) for i, (_a, n) in enumerate(sorted(counts.items())))
        shares = frame["channel"].value_counts(normalize=True)
        for channel, share in shares.items():
            db.session.add(Margin(wave_id=wave.id, variable="channel", category=channel,
                                  total=total * (share * 0.8 + 0.2 / len(shares))))
    wave.change_settings(rake=rake, fpc=fpc)
    wave.mark_data_changed()
    db.session.commit()


@pytest.fixture
def demo(app):
    return factories.demo_wave(responses=600)  # sipas-2022: the mean rule, expectations, late results


@pytest.mark.parametrize("rake,fpc", [(False, False), (True, False), (False, True)])
def test_estimates_from_rollups_equal_the_microdata_path(demo, rake, fpc):
    weighted(demo, rake=rake, fpc=fpc)
    for by in ([], ["agency"], ["block"], ["channel"], ["agency", "channel"], ["service_field"], ["language"]):
        same(estimates.compute(snapshot.current(demo), by), microdata(demo, by))


@pytest.mark.parametrize("survey", ["per-case-61", "per-case-118"])
def test_the_pooled_rule_and_decision766_from_rollups_equal_the_microdata_path(app, survey):
    units = [factories.agency(code) for code in ("P1", "P2", "P3")]
    wave = factories.wave("percase", agency_list=units, survey=survey)
    questionnaire = questionnaire_of(wave.survey_version)
    rng = np.random.default_rng(7)
    for i in range(240):
        answers = factories.satisfied_answers(questionnaire)
        for code in questionnaire.rated_items:
            answers[code] = int(rng.integers(1, 6)) if rng.random() > 0.1 else None
        answers["on_time"] = int(rng.random() < 0.8)
        if answers["on_time"] == 0 and "apology" in {q.code for q in questionnaire.questions}:
            answers["apology"] = int(rng.random() < 0.5)
        answers["complaint"] = int(rng.random() < 0.15)
        answers = {k: v for k, v in answers.items() if v is not None}
        store.store(wave, units[i % 3], answers, channel=["link", "kiosk", "paper"][i % 3], language="vi")
    db.session.commit()
    weighted(wave, rake=False)
    for by in ([], ["agency"]):
        same(estimates.compute(snapshot.current(wave), by), microdata(wave, by))
    for filters in (Filters(), Filters(channel="kiosk")):
        got = sipas_figures.figures(snapshot.current(wave), filters)
        want = microdata_figures(wave, filters)
        for name in ("late", "apology", "decision766"):
            if want[name] is None:
                assert got[name] is None
                continue
            assert got[name]["n"] == want[name]["n"], name
            for column in NUMBERS:
                if not got[name]["suppressed"]:
                    assert got[name][column] == pytest.approx(want[name][column], abs=1e-9, nan_ok=True), (name, column)


def microdata_figures(wave, filters: Filters) -> dict:
    """The SIPAS figures as the first release computed them (analysis.sipas on every response)."""
    questionnaire = questionnaire_of(wave.survey_version)
    known = {q.code for q in questionnaire.questions}
    codes = [c for c in ("late", "on_time", "apology", "complaint", "satisfaction", "service_field",
                         *expectation_codes(questionnaire)) if c in known]
    data = respondents(wave, codes)
    data["_domain"] = np.where(in_domain(data, filters), "in", "out")
    options = design.options(wave)
    by = ["_domain"] if filters.as_args() else None

    def first(table):
        if by:
            table = table[table["_domain"] == "in"]
        return table.iloc[0].to_dict() if len(table) else None

    out = {"late": None, "apology": None, "decision766": None, "expectations": None}
    late = late_column(questionnaire, data)
    marked = data.assign(_late=np.where(late.isna(), np.nan, late + 1), _is_late=late)
    out["late"] = first(compute_rates(marked, ["_late"], by=by, satisfied=(2,), **options))
    if "apology" in data.columns:
        out["apology"] = first(sipas.apology_rate(marked, late="_is_late", apology="apology", by=by, **options))
    if questionnaire.definition.kind == "per_case":
        marked = data.assign(_overdue=late, _complaint=data.get("complaint"))
        out["decision766"] = first(sipas.decision766(marked, overdue="_overdue", complaint="_complaint",
                                                     rating="satisfaction" if "satisfaction" in data else None,
                                                     negative=(1,), by=by, **options))
    areas = expectation_codes(questionnaire)
    if areas:
        table = sipas.expectation_shares(data, areas, top=(3,), by=by, **options)
        out["expectations"] = table[table["_domain"] == "in"].drop(columns="_domain") if by else table
    return out


@pytest.mark.parametrize("filters", [Filters(), Filters(channel="paper"), Filters(service_field="3")],
                         ids=["all", "channel", "service_field"])
def test_sipas_figures_from_rollups_equal_the_microdata_path(demo, filters):
    weighted(demo, rake=True)
    got = sipas_figures.figures(snapshot.current(demo), filters)
    want = microdata_figures(demo, filters)
    for name in ("late", "apology"):
        assert (got[name] is None) == (want[name] is None), name
        if got[name] is not None and not got[name]["suppressed"]:
            assert got[name]["n"] == want[name]["n"]
            for column in NUMBERS:
                assert got[name][column] == pytest.approx(want[name][column], abs=1e-9, nan_ok=True), (name, column)
    shares, expected = got["expectations"], want["expectations"].reset_index(drop=True)
    assert shares["measure"].tolist() == expected["measure"].tolist()
    assert shares["n"].tolist() == expected["n"].tolist()
    shown = ~shares["suppressed"].to_numpy(bool)
    for column in NUMBERS:
        np.testing.assert_allclose(shares[column].to_numpy(float)[shown], expected[column].to_numpy(float)[shown],
                                   atol=1e-9, rtol=0)


def cells_of(wave) -> dict:
    return {(r.agency_id, r.week, r.key): (r.count, bytes(r.moments))
            for r in db.session.query(RollupCell).filter_by(wave_id=wave.id)}


def test_cells_kept_up_to_date_equal_a_rebuild(demo, runner):
    questionnaire = questionnaire_of(demo.survey_version)
    snapshot.current(demo)  # the first read rolls every response up
    answers = factories.satisfied_answers(questionnaire)
    for i in range(7):
        store.store(demo, demo.agencies[i % len(demo.agencies)], answers, channel="kiosk", language="en")
    db.session.commit()
    snapshot.current(demo)  # the new ones are added
    rows = db.session.query(Response).filter_by(wave_id=demo.id).order_by(Response.id).limit(5).all()
    for row in rows[:3]:
        cleaning.set_excluded(row, True, "a test entry")
    db.session.commit()
    cleaning.set_excluded(rows[0], False, "it was a citizen after all")
    db.session.commit()
    snapshot.current(demo)
    kept = cells_of(demo)
    held = db.session.scalar(select(func.count()).where(Response.wave_id == demo.id, Response.rolled.is_(True)))
    assert held == db.session.scalar(select(func.count()).where(Response.wave_id == demo.id,
                                                                Response.excluded.is_(False)))
    result = runner.invoke(args=["results", "rebuild", "--wave", demo.slug])
    assert result.exit_code == 0, result.output
    assert "responses in" in result.output
    db.session.expire_all()
    assert cells_of(demo) == kept  # byte for byte: every moment is a count
    assert sum(c for c, _ in kept.values()) == held


def test_a_submission_touches_no_cell_and_no_shared_row(demo):
    snapshot.current(demo)
    before = (cells_of(demo), db.session.get(RollupState, demo.id).version)
    questionnaire = questionnaire_of(demo.survey_version)
    store.store(demo, demo.agencies[0], factories.satisfied_answers(questionnaire), channel="link", language="vi")
    db.session.commit()
    db.session.expire_all()
    assert (cells_of(demo), db.session.get(RollupState, demo.id).version) == before
    assert rollup.pending(db.session, demo)


def test_an_excluded_response_leaves_the_figures_at_once(demo):
    n = estimates.compute(snapshot.current(demo), [])
    overall = n[n["measure"] == "overall"]["n"].item()
    row = db.session.query(Response).filter_by(wave_id=demo.id).order_by(Response.id).first()
    cleaning.set_excluded(row, True, "duplicate")
    db.session.commit()
    after = estimates.compute(snapshot.current(demo), [])
    assert after[after["measure"] == "overall"]["n"].item() == overall - 1
    same(after, microdata(demo, []))


def test_changing_the_raking_variables_rebuilds_the_cells(demo):
    weighted(demo, rake=False)
    snapshot.current(demo)
    keys = {k for _a, _w, k in cells_of(demo)}
    assert all(k.count(rollup.SEP) == len(rollup.KEY_PARTS) - 1 for k in keys)
    db.session.add(Margin(wave_id=demo.id, variable="visits", category="1", total=1000))
    db.session.add(Margin(wave_id=demo.id, variable="visits", category="2", total=1000))
    demo.mark_data_changed()
    db.session.commit()
    snapshot.current(demo)
    layout = db.session.get(RollupState, demo.id).layout
    assert layout["raking"] == ["visits"]
    assert all(k.count(rollup.SEP) == len(rollup.KEY_PARTS) for _a, _w, k in cells_of(demo))


def test_two_instances_sum_new_responses_once(app, demo, _schema):
    """Instance A adds the new responses to the cells; instance B, on the same database, finds
    nothing left to add and shows the same version (the figures are not computed from responses
    in either process)."""
    from app import create_app
    from tests.conftest import make_config

    other = create_app(make_config(_schema))
    first = snapshot.current(demo).version
    questionnaire = questionnaire_of(demo.survey_version)
    for _ in range(4):
        store.store(demo, demo.agencies[0], factories.satisfied_answers(questionnaire), channel="link", language="vi")
    db.session.commit()
    with other.app_context():
        from app.models import Wave

        theirs = db.session.get(Wave, demo.id)
        assert rollup.stale(db.session, theirs)
        seen_by_b = snapshot.current(theirs).version  # B adds them
        assert seen_by_b[1] == first[1] + 1
        db.session.remove()
        db.engine.dispose()
    assert not rollup.stale(db.session, demo)  # A finds nothing left to add
    assert snapshot.current(demo).version == seen_by_b
    n = estimates.compute(snapshot.current(demo), [])
    assert n[n["measure"] == "overall"]["n"].item() == len(respondents(demo, []))


def test_a_response_excluded_while_the_cells_await_a_rebuild_comes_back_when_restored(demo):
    snapshot.current(demo)
    db.session.add(Margin(wave_id=demo.id, variable="visits", category="1", total=1000))
    db.session.add(Margin(wave_id=demo.id, variable="visits", category="2", total=1000))
    demo.mark_data_changed()
    db.session.commit()  # the cells' layout is stale until the next update rebuilds them
    row = db.session.query(Response).filter_by(wave_id=demo.id).order_by(Response.id).first()
    cleaning.set_excluded(row, True, "a test entry")
    db.session.commit()
    snapshot.current(demo)  # rebuilt without it
    cleaning.set_excluded(row, False, "a citizen after all")
    db.session.commit()
    snapshot.current(demo)  # added back
    held = db.session.scalar(select(func.count()).where(Response.wave_id == demo.id, Response.rolled.is_(True)))
    assert held == db.session.scalar(select(func.count()).where(Response.wave_id == demo.id))
    assert sum(c for c, _ in cells_of(demo).values()) == held


def test_update_all_folds_every_wave_and_asks_for_one_choice(demo, runner):
    waves = db.session.query(Wave).all()
    assert len(waves) > 1  # the demo and its history waves
    result = runner.invoke(args=["results", "update", "--all"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not any(rollup.pending(db.session, w) for w in waves)
    assert all(f"{w.slug}: " in result.output for w in waves)
    assert runner.invoke(args=["results", "update"]).exit_code != 0
    assert runner.invoke(args=["results", "update", "--all", "--wave", "demo"]).exit_code != 0
