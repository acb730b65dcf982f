"""Weights, ranking, SIPAS figures and chart builders."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analysis import charts
from analysis.ranking import compare, funnel_limits, rank_table
from analysis.rates import compute_rates
from analysis.sipas import apology_rate, decision766, expectation_shares
from analysis.weights import design_weights, kish_n_eff, post_stratify, rake, trim_weights


def test_design_weights_are_frame_count_over_responses():
    w = design_weights(["a", "a", "b"], {"a": 100, "b": 30})
    assert w.tolist() == [50, 50, 30]
    with pytest.raises(ValueError, match="no frame count"):
        design_weights(["c"], {"a": 1})


def test_rake_meets_margins_and_reports_convergence(sipas):
    margins = pd.DataFrame({"variable": ["gender", "gender", "age", "age", "age"],
                            "category": ["F", "M", "18-34", "35-59", "60+"],
                            "total": [900.0, 800, 600, 700, 400]})
    res = rake(sipas, "weight", margins)
    assert res.converged and res.iterations < 100 and res.max_error < 1e-9
    assert np.bincount(res.factors[1], res.weights).tolist() == pytest.approx([600, 700, 400])


def test_post_stratify_and_trim_keep_totals():
    w = post_stratify(np.ones(4), ["x", "x", "y", "y"], {"x": 10, "y": 30})
    assert w.tolist() == [5, 5, 15, 15]
    t = trim_weights(np.array([1.0, 1, 1, 10]), 4)
    assert t.max() <= 4 + 1e-9 and t.sum() == pytest.approx(13)
    assert kish_n_eff([1, 1, 1, 1]) == 4 and kish_n_eff([1, 3]) == pytest.approx(1.6)


def test_compare_holm_adjusts_across_family():
    out = compare([0.8, 0.7, 0.9], [0.02, 0.02, 0.02], [0.7, 0.7, 0.85], [0.02, 0.02, 0.02])
    assert out["p_value"].iloc[1] == pytest.approx(1.0)
    ordered = np.sort(out["p_value"].to_numpy())
    assert out["p_adjusted"].min() == pytest.approx(3 * ordered[0])
    with pytest.raises(ValueError):
        compare(1, 1, 1, 1, adjust="magic")


def test_rank_table_intervals_tiers_and_flags():
    rates = pd.DataFrame({"agency": list("ABCDE"), "measure": "overall",
                          "rate": [0.95, 0.94, 0.80, 0.70, 0.99], "se": [0.01, 0.01, 0.01, 0.01, 0.001],
                          "n_eff": [200, 200, 200, 200, 10]})
    out = rank_table(rates, n_sim=2000, seed=1, min_n_eff=30)
    assert out["agency"].tolist() == ["A", "B", "C", "D", "E"]
    ranked = out[~out["flagged"]]
    assert (ranked["rank_lower"] <= ranked["rank"]).all() and (ranked["rank"] <= ranked["rank_upper"]).all()
    assert ranked["tier"].tolist() == [1, 1, 2, 3]
    assert out.loc[out["agency"] == "E", "rank"].isna().all()
    again = rank_table(rates, n_sim=2000, seed=1, min_n_eff=30)
    pd.testing.assert_frame_equal(out, again)


def test_funnel_limits_narrow_with_n():
    lo, hi = funnel_limits(0.8, [50, 500, 5000])
    assert np.all(np.diff(hi - lo) < 0) and np.all(lo < 0.8) and np.all(hi > 0.8)


def test_apology_rate_is_share_among_late_respondents():
    frame = pd.DataFrame({"late": [1, 1, 1, 1, 0, 0], "apology": [1, 1, 1, 0, 0, 1]})
    row = apology_rate(frame, late="late", apology="apology").iloc[0]
    assert row["rate"] == pytest.approx(0.75) and row["n"] == 4
    assert row["ci_lower"] < 0.75 < row["ci_upper"]


def test_expectation_shares_and_decision766():
    frame = pd.DataFrame({"e1": [3, 3, 2, 1], "e2": [1, 2, 3, 3],
                          "overdue": [0, 1, 0, 0], "complaint": [0, 1, 1, 0], "w": [1, 1, 1, 1]})
    shares = expectation_shares(frame, ["e1", "e2"]).set_index("measure")
    assert shares.loc["e1", "rate"] == pytest.approx(0.5)
    assert expectation_shares(frame, ["e2"], top=(2, 3)).iloc[0]["rate"] == pytest.approx(0.75)
    d = decision766(frame, overdue="overdue", complaint="complaint", weight="w").iloc[0]
    assert d["rate"] == pytest.approx(1 - (0.25 + 0.5))
    assert d["ci_lower"] < d["rate"] < d["ci_upper"]


def test_chart_builders_return_serialisable_figures(sipas):
    rates = compute_rates(sipas, ["q01", "q02"], factors={"F1": ["q01", "q02"]}, by=["agency"])
    ranked = rank_table(rates, min_n_eff=10).merge(
        rates[["agency", "measure", "ci_lower", "ci_upper"]], on=["agency", "measure"])
    whole = compute_rates(sipas, ["q01", "q02"], factors={"F1": ["q01", "q02"]})
    trend = pd.concat([whole.assign(year=y) for y in (2022, 2023)])
    figs = [
        charts.ranking_dots(ranked, label="agency", labels={"rate": "Tỷ lệ hài lòng (%)"}),
        charts.factor_bars(whole, names={"F1": "Tiếp cận"}, labels={}),
        charts.trend_lines(trend[trend["measure"] == "overall"], period="year", series="measure", labels={}),
        charts.funnel_plot(rates[rates["measure"] == "overall"], label="agency", target=0.7, labels={}),
        charts.expectation_bars(whole, names={"q01": "Giáo dục", "q02": "Y tế"}, labels={}),
    ]
    for fig in figs:
        assert isinstance(fig, go.Figure)
        assert json.loads(fig.to_json())["data"]
