"""compute_rates against the row-level reference engine, plus NOTES.md pitfalls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.design import Calibration, make_design, taylor_variance
from analysis.estimators import survey_ratio, survey_total
from analysis.rates import compute_rates, compute_rates_with_total
from analysis.weights import rake
from tests.analysis.conftest import make_sipas

ITEMS = [f"q{k:02d}" for k in range(1, 7)]
FACTORS = {"F1": ITEMS[:3], "F2": ITEMS[3:]}
MARGINS = pd.DataFrame({
    "variable": ["gender", "gender", "age", "age", "age"],
    "category": ["F", "M", "18-34", "35-59", "60+"],
    "total": [9000.0, 8000.0, 6000.0, 7000.0, 4000.0],
})
DESIGNS = {
    "strata": dict(weight="weight", strata="agency"),
    "raked": dict(weight="weight", strata="agency", margins=MARGINS),
    "clustered": dict(weight="weight", strata="agency", psu="cluster"),
    "clustered_raked": dict(weight="weight", psu="cluster", margins=MARGINS),
}


def _reference(frame, cols, domain, kw):
    w, cal = frame["weight"].to_numpy(float), None
    if "margins" in kw:
        res = rake(frame, "weight", kw["margins"])
        w, cal = res.weights, Calibration(frame["weight"].to_numpy(float), res.factors)
    design = make_design(
        w, strata=frame[kw["strata"]] if "strata" in kw else None,
        clusters=[frame[kw["psu"]]] if "psu" in kw else [], calibration=cal,
    )
    x = frame[cols].to_numpy(float)
    s = np.isin(x, [4, 5]).sum(axis=1).astype(float)
    a = (~np.isnan(x)).sum(axis=1).astype(float)
    return survey_ratio(s, a, design, domain=domain), design


@pytest.mark.parametrize("name", list(DESIGNS))
def test_domain_rates_match_row_level_linearization(name):
    frame = make_sipas(2500, seed=3)
    kw = DESIGNS[name]
    out = compute_rates(frame, ITEMS, factors=FACTORS, by=["channel"], **kw)
    for channel in ("kiosk", "paper"):
        for measure, cols in (("q02", ["q02"]), ("F2", FACTORS["F2"]), ("overall", ITEMS)):
            ref, _ = _reference(frame, cols, (frame["channel"] == channel).to_numpy(), kw)
            row = out[(out["channel"] == channel) & (out["measure"] == measure)].iloc[0]
            assert row["rate"] == pytest.approx(ref.estimate, rel=1e-12)
            assert row["se"] == pytest.approx(ref.se, rel=1e-9)


def test_mean_rule_matches_linear_combination_of_item_influences():
    frame = make_sipas(2000, seed=4)
    out = compute_rates(frame, ITEMS, factors=FACTORS, rule="mean", weight="weight", strata="agency")
    items = out.set_index("measure")
    assert items.loc["F1", "rate"] == pytest.approx(items.loc[FACTORS["F1"], "rate"].mean())
    assert items.loc["overall", "rate"] == pytest.approx(items.loc[["F1", "F2"], "rate"].mean())
    design = make_design(frame["weight"].to_numpy(float), strata=frame["agency"])
    w = design.weights
    z = np.zeros(len(frame))
    for col in FACTORS["F1"]:
        x = frame[col].to_numpy(float)
        y, a = np.isin(x, [4, 5]).astype(float), (~np.isnan(x)).astype(float)
        r = np.sum(w * y) / np.sum(w * a)
        z += (y - r * a) / np.sum(w * a) / 3
    assert items.loc["F1", "se"] == pytest.approx(np.sqrt(taylor_variance(w * z, design)), rel=1e-9)


def test_output_has_contract_columns_and_order(sipas):
    out = compute_rates(sipas, ITEMS, factors=FACTORS, by=["agency"], weight="weight", strata="agency")
    assert list(out.columns) == ["agency", "measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]
    first = out[out["agency"] == out["agency"].iloc[0]]["measure"].tolist()
    assert first == [*ITEMS, "F1", "F2", "overall"]
    assert ((out["rate"] >= 0) & (out["rate"] <= 1)).all()
    assert (out["ci_lower"] <= out["rate"]).all() and (out["rate"] <= out["ci_upper"]).all()


def test_n_counts_respondents_with_an_answer_in_the_measure(sipas):
    out = compute_rates(sipas, ITEMS, factors=FACTORS).set_index("measure")
    assert out.loc["q01", "n"] == sipas["q01"].notna().sum()
    assert out.loc["F1", "n"] == sipas[FACTORS["F1"]].notna().any(axis=1).sum()


def test_unweighted_srs_rate_has_deff_near_one_and_binomial_se(sipas):
    out = compute_rates(sipas, ["q01"]).iloc[0]
    p, n = out["rate"], out["n"]
    assert out["se"] == pytest.approx(np.sqrt(p * (1 - p) / n), rel=1e-3)
    assert out["deff"] == pytest.approx(1.0, abs=0.01)
    assert out["n_eff"] == pytest.approx(n)


def test_whole_and_by_share_one_pass(sipas):
    by, whole = compute_rates_with_total(sipas, ITEMS, by=["agency"], weight="weight", strata="agency")
    alone = compute_rates(sipas, ITEMS, weight="weight", strata="agency")
    pd.testing.assert_frame_equal(whole, alone)
    assert len(by) == sipas["agency"].nunique() * len(ITEMS)


def test_missing_answers_are_domain_estimates_not_dropped_rows(api):
    """NOTES.md 1: dropping NA rows moves the apiclus2 total's SE."""
    c2 = api["apiclus2"]
    design = make_design(None, clusters=[c2.dnum, c2.snum], fpc=[c2.fpc1, c2.fpc2])
    kept = survey_total(c2["enroll"].to_numpy(float), design)
    rows = c2["enroll"].notna().to_numpy()
    sub = c2[rows]
    dropped = survey_total(sub["enroll"].to_numpy(float),
                           make_design(None, clusters=[sub.dnum, sub.snum], fpc=[sub.fpc1, sub.fpc2]))
    assert kept.se == pytest.approx(799638, abs=1)
    assert abs(dropped.se / kept.se - 1) > 0.003


def test_naive_se_on_raked_weights_is_far_too_large(api):
    """NOTES.md 2: calibrated variance needs regression residuals."""
    c1 = api["apiclus1"]
    margins = pd.DataFrame({"variable": "stype", "category": ["E", "H", "M"], "total": [4421, 755, 1018]})
    res = rake(c1, "pw", margins)
    y = c1["enroll"].to_numpy(float)
    naive = survey_total(y, make_design(res.weights, clusters=[c1.dnum], fpc=[c1.fpc]))
    cal = Calibration(c1["pw"].to_numpy(float), res.factors)
    right = survey_total(y, make_design(res.weights, clusters=[c1.dnum], fpc=[c1.fpc], calibration=cal))
    assert naive.se == pytest.approx(1_021_790, rel=1e-4)
    assert right.se == pytest.approx(406_293, rel=1e-5)


def test_two_stage_fpc_needs_second_stage_term(api):
    """NOTES.md 3: first-stage-only variance misses dclus2 by 0.2-0.7%."""
    c2 = api["apiclus2"]
    full = make_design(None, clusters=[c2.dnum, c2.snum], fpc=[c2.fpc1, c2.fpc2])
    first = make_design(full.weights, clusters=[c2.dnum], fpc=[c2.fpc1])
    y = c2["api00"].to_numpy(float)
    ratio = survey_ratio(y, np.ones_like(y), first).se / survey_ratio(y, np.ones_like(y), full).se
    assert 0.993 < ratio < 0.998


def test_degrees_of_freedom_are_psus_minus_strata(api, sipas):
    """NOTES.md 4."""
    st = api["apistrat"]
    assert make_design(st.pw, strata=st.stype).df() == 200 - 3
    c1 = api["apiclus1"]
    assert make_design(c1.pw, clusters=[c1.dnum]).df() == 15 - 1
