"""Trends on today's units: a merged unit's points before it existed equal the estimate of its
predecessors' respondents pooled (same weights, same strata), computed independently from the
exported rows by the microdata engine; split units are modelled from shares; the API says so."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.rates import compute_rates
from app.collect import store
from app.extensions import db
from app.models import Agency
from app.programme import questionnaires, reorganise
from app.programme.questionnaires import questionnaire_of
from app.results import lineage_trend
from app.results.table import respondents
from tests import factories
from tests.app.test_agency_visibility import token_for

# old province A (A1, A2, A3) and old province B (B1, B2), surveyed separately in 2024;
# from 1 July 2025: N = A1 + B1 (merge), A2 split 0.6 to M and 0.4 to K, K also takes all of B2.
LINEAGE = ("old_code,new_code,share,effective_on\nA1,N,1,2025-07-01\nB1,N,1,2025-07-01\n"
           "A2,M,0.6,2025-07-01\nA2,K,0.4,2025-07-01\nB2,K,1,2025-07-01\nA3,N3,1,2025-07-01\n")
POINTS = {"A1": 4, "A2": 3, "A3": 5, "B1": 2, "B2": 4, "N": 4, "M": 3, "K": 4, "N3": 5}


def _unit(code: str, start=None, end=None) -> Agency:
    unit = factories.agency(code, block="communes")
    unit.level, unit.valid_from, unit.valid_to = "commune", start, end
    return unit


def _wave(slug, units, year, rng, per_agency, status="closed"):
    wave = factories.wave(slug, agency_list=units, status=status)
    wave.period_start, wave.period_end = date(year, 1, 1), date(year, 12, 31)
    questionnaire = questionnaire_of(wave.survey_version)
    for unit in units:
        for _ in range(per_agency + int(rng.integers(0, 15))):
            answers = factories.satisfied_answers(questionnaire)
            for code in questionnaire.rated_items:
                answers[code] = int(np.clip(POINTS[unit.code] + rng.integers(-2, 2), 1, 5))
            store.store(wave, unit, answers, channel="paper", language="vi")
    return wave


@pytest.fixture
def province(app):
    rng = np.random.default_rng(7)
    questionnaires.publish_shipped()
    old_a = [_unit(c, end=None) for c in ("A1", "A2", "A3")]
    old_b = [_unit(c) for c in ("B1", "B2")]
    new = [_unit(c) for c in ("N", "M", "K", "N3")]
    waves = {"a": _wave("a-2024", old_a, 2024, rng, 25), "b": _wave("b-2024", old_b, 2024, rng, 25)}
    waves["a23"] = _wave("a-2023", old_a, 2023, rng, 20)
    db.session.flush()
    reorganise.apply(LINEAGE)
    waves["new"] = _wave("new-2026", new, 2026, rng, 30, status="open")
    db.session.commit()
    return waves


def _frame(*waves) -> pd.DataFrame:
    items = questionnaire_of(waves[0].survey_version).rated_items
    frame = pd.concat([respondents(w, items) for w in waves], ignore_index=True)
    frame["stratum_key"] = frame["agency"] + "|"
    return frame


def _expected(frame: pd.DataFrame, codes: set[str], questionnaire) -> pd.Series:
    frame = frame.assign(pooled=frame["agency"].isin(codes))
    table = compute_rates(frame, questionnaire.rated_items, factors=questionnaire.factor_items(),
                          rule=questionnaire.rule, by=["pooled"], weight="weight", strata="stratum_key")
    return table[(table["pooled"]) & (table["measure"] == "overall")].iloc[0]


def _point(result: dict, wave: str) -> dict:
    return next(p for p in result["points"] if p["wave"] == wave)


def test_a_merged_units_points_equal_its_predecessors_pooled(province):
    agency = db.session.query(Agency).filter_by(code="N").one()
    result = lineage_trend.trend(agency, "overall")
    questionnaire = questionnaire_of(province["a"].survey_version)
    assert [p["basis"] for p in result["points"]] == ["reaggregated", "direct"]  # (2023: B1 has no data)
    pooled = _point(result, "a-2024+b-2024")  # two old provinces' waves of one period, stacked
    expected = _expected(_frame(province["a"], province["b"]), {"A1", "B1"}, questionnaire)
    for key in ("rate", "se", "ci_lower", "ci_upper"):
        assert pooled[key] == pytest.approx(float(expected[key]), abs=1e-9), key
    assert pooled["n"] == int(expected["n"])
    assert pooled["period_end"] == "2024-12-31"
    assert result["breaks"] == ["2025-07-01"]
    direct = _point(result, "new-2026")
    alone = _expected(_frame(province["new"]), {"N"}, questionnaire)
    assert direct["rate"] == pytest.approx(float(alone["rate"]), abs=1e-12)


def test_a_merge_within_one_wave_is_exact_for_every_year(province):
    n3 = db.session.query(Agency).filter_by(code="N3").one()
    result = lineage_trend.trend(n3, "overall")
    assert [(p["wave"], p["basis"]) for p in result["points"]] == [
        ("a-2023", "reaggregated"), ("a-2024", "reaggregated"), ("new-2026", "direct")]
    questionnaire = questionnaire_of(province["a"].survey_version)
    expected = _expected(_frame(province["a23"]), {"A3"}, questionnaire)
    assert _point(result, "a-2023")["se"] == pytest.approx(float(expected["se"]), abs=1e-9)


def test_a_split_is_modelled_from_shares_and_design_weights(province):
    questionnaire = questionnaire_of(province["a"].survey_version)
    frame = _frame(province["a"], province["b"])
    per_agency = compute_rates(frame, questionnaire.rated_items, factors=questionnaire.factor_items(),
                               rule=questionnaire.rule, by=["agency"], weight="weight", strata="stratum_key")
    per_agency = per_agency[per_agency["measure"] == "overall"].set_index("agency")
    weight = frame.groupby("agency")["weight"].sum()
    m = lineage_trend.trend(db.session.query(Agency).filter_by(code="M").one())
    only = _point(m, "a-2024")  # one predecessor: its estimate, said to be modelled
    assert only["basis"] == "modelled"
    assert only["rate"] == pytest.approx(per_agency.loc["A2", "rate"], abs=1e-12)
    assert only["se"] == pytest.approx(per_agency.loc["A2", "se"], abs=1e-12)
    k = _point(lineage_trend.trend(db.session.query(Agency).filter_by(code="K").one()), "a-2024+b-2024")
    mass = np.array([0.4 * weight["A2"], 1.0 * weight["B2"]])
    c = mass / mass.sum()
    assert k["basis"] == "modelled"
    assert k["rate"] == pytest.approx(c @ per_agency.loc[["A2", "B2"], "rate"].to_numpy(), abs=1e-12)
    assert k["se"] == pytest.approx(np.sqrt(c ** 2 @ per_agency.loc[["A2", "B2"], "se"].to_numpy() ** 2), abs=1e-12)
    assert k["ci_lower"] < k["rate"] < k["ci_upper"]


def test_a_predecessor_too_small_to_publish_hides_the_point(province, app):
    agency = db.session.query(Agency).filter_by(code="N").one()
    shown = _point(lineage_trend.trend(agency), "a-2024+b-2024")
    assert not shown["suppressed"] and shown["rate"] is not None
    sizes = _frame(province["b"])["agency"].value_counts()
    app.config["MIN_GROUP_SIZE"] = int(sizes["B1"]) + 1  # B1 alone is now too small to publish
    hidden = _point(lineage_trend.trend(agency), "a-2024+b-2024")
    assert hidden["suppressed"] and hidden["rate"] is None and hidden["se"] is None
    assert hidden["n"] == shown["n"]  # (the pooled group itself is large: B1 would be A1+B1 minus A1)


def test_the_api_gives_points_with_basis_and_breaks(client, make_user, province):
    admin = token_for(client, make_user, "admin")
    response = client.get("/api/v1/agencies/N/trend?measure=overall", headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"agency", "measure", "points", "breaks"}
    assert body["agency"] == "N" and body["breaks"] == ["2025-07-01"]
    assert {"wave", "period_end", "rate", "se", "ci_lower", "ci_upper", "n", "basis"} <= set(body["points"][0])
    assert [p["basis"] for p in body["points"]] == ["reaggregated", "direct"]
    factor = next(iter(questionnaire_of(province["a"].survey_version).factor_items()))
    assert client.get(f"/api/v1/agencies/N/trend?measure={factor}", headers=admin).status_code == 200
    bad = client.get("/api/v1/agencies/N/trend?measure=nonsense", headers=admin)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "measure"
    assert client.get("/api/v1/agencies/NOPE/trend", headers=admin).status_code == 404
    assert client.get("/api/v1/agencies/N/trend").status_code == 401
    other = token_for(client, make_user, "agency", db.session.query(Agency).filter_by(code="M").one())
    assert client.get("/api/v1/agencies/N/trend", headers=other).status_code == 404
    assert client.get("/api/v1/agencies/M/trend", headers=other).status_code == 200


def test_the_agency_page_draws_the_basis_and_the_break(client, login_as, province):
    login_as("official")
    page = client.get("/dashboard/new-2026/agencies/N").get_data(as_text=True)
    assert "2025-07-01" in page  # the break, drawn on the chart
    assert "re-aggregated" in page or "gộp lại" in page or "tổng hợp lại" in page
    assert "a-2024" in page or "Đợt a-2024" in page  # the point before the unit existed is in the table
    assert '"diamond"' in page  # its marker: re-aggregated
    k_page = client.get("/dashboard/new-2026/agencies/K").get_data(as_text=True)
    assert '"circle-open"' in k_page  # K's 2024 point is modelled from shares


def test_no_change_is_tested_from_or_to_a_modelled_point(province):
    from app.results import trends

    m = db.session.query(Agency).filter_by(code="M").one()
    frame = lineage_trend.table(lineage_trend.trend(m), "M")
    assert list(frame["basis"]) == ["modelled", "modelled", "direct"]
    marked = trends.mark_changes(frame)
    assert marked["p_adjusted"].isna().all() and (marked["arrow"] == "").all()
    n3 = lineage_trend.table(lineage_trend.trend(db.session.query(Agency).filter_by(code="N3").one()), "N3")
    assert trends.mark_changes(n3)["p_adjusted"].notna().sum() == 2  # reaggregated points are compared


def test_the_trends_page_pools_every_group_at_once_with_the_same_figures(province):
    units = db.session.query(Agency).filter(Agency.code.in_(["N", "M", "K", "N3"])).all()
    page = lineage_trend.province_and_agencies([(u, u.code) for u in units], "Province", {})["agencies"]
    for unit in units:
        alone = lineage_trend.table(lineage_trend.trend(unit), unit.code)
        mine = page[page["agency"] == unit.code].reset_index(drop=True)
        assert list(mine["wave"]) == list(alone["wave"]) and list(mine["basis"]) == list(alone["basis"])
        for key in ("rate", "se", "ci_lower", "ci_upper"):
            assert np.allclose(mine[key].astype(float), alone[key].astype(float), rtol=0, atol=1e-12), (unit.code, key)
