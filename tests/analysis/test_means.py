"""Mean scores against R survey's published results on the API data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.means import compute_means

DATA = Path(__file__).resolve().parents[1] / "data"


def reference(result_id: str) -> dict:
    results = json.loads((DATA / "r_survey_api.json").read_text())["results"]
    return next(r for r in results if r["id"] == result_id)


def test_stratified_mean_matches_r():
    frame = pd.read_csv(DATA / "apistrat.csv")
    out = compute_means(frame, ["api00"], weight="pw", strata="stype", fpc="fpc")
    ref = reference("dstrat_mean_api00")
    assert out.loc[0, "mean"] == pytest.approx(ref["estimate"], abs=0.005)
    assert out.loc[0, "se"] == pytest.approx(ref["se"], abs=0.00005)


def test_cluster_mean_matches_r():
    frame = pd.read_csv(DATA / "apiclus1.csv")
    out = compute_means(frame, ["api00", "api99"], weight="pw", psu="dnum", fpc="fpc")
    assert out.loc[0, "se"] == pytest.approx(reference("dclus1_mean_api00")["se"], abs=0.00005)
    assert out.loc[1, "mean"] == pytest.approx(reference("dclus1_mean_api99")["estimate"], abs=1e-6)


def test_domain_means_keep_every_stratum_and_equal_the_subset_ratio():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], 400), "s": rng.choice(["x", "y", "z"], 400),
                          "w": rng.uniform(1, 5, 400), "q": rng.integers(1, 6, 400).astype(float)})
    frame.loc[::7, "q"] = np.nan
    out = compute_means(frame, ["q"], by=["g"], weight="w", strata="s").set_index("g")
    sub = frame[(frame.g == "a") & frame.q.notna()]
    assert out.loc["a", "mean"] == pytest.approx(np.average(sub.q, weights=sub.w))
    assert out.loc["a", "n"] == len(sub)
    assert out.loc["a", "ci_lower"] < out.loc["a", "mean"] < out.loc["a", "ci_upper"]


def test_unknown_column_is_named():
    with pytest.raises(ValueError, match="nope"):
        compute_means(pd.DataFrame({"q": [1.0]}), ["nope"])


def test_empty_domain_gives_a_blank_row_and_others_match_r():
    """Issue 13 item 6: a domain nobody answered used to raise ZeroDivisionError.

    R: f <- data.frame(ag=c("A","A","A","B","B","B","C","C"), q=c(5,4,1,NA,NA,NA,2,5));
    d <- svydesign(ids=~1, data=f); r <- svymean(~q, subset(d, ag=="A"), na.rm=TRUE);
    confint(r, df=degf(subset(d, ag=="A")))  # the domain's df, 2
    """
    frame = pd.DataFrame({"ag": list("AAABBBCC"), "q": [5, 4, 1, np.nan, np.nan, np.nan, 2, 5]})
    out = compute_means(frame, ["q"], by=["ag"]).set_index("ag")
    assert out.loc["A", ["mean", "se", "ci_lower", "ci_upper"]].tolist() == pytest.approx(
        [3.33333333333333, 1.04906105662592, -1.18041208563205, 7.84707875229872], abs=1e-9)
    assert out.loc["C", ["mean", "se"]].tolist() == pytest.approx([3.5, 1.13389341902768], abs=1e-9)
    assert out.loc["B", "n"] == 0
    assert out.loc["B", ["mean", "se", "ci_lower", "ci_upper", "deff"]].isna().all()
