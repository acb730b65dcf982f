"""analysis.nonresponse: the weighting-class adjustment on funnel cells and the R-indicator, against
R (survey, glm) and on synthetic data with known response propensities."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.design import make_design
from analysis.estimators import survey_mean
from analysis.nonresponse import adjust, factors, r_indicator

# Two agencies × two channels: invitations issued and completed, and the satisfied respondents.
CELLS = pd.DataFrame({"agency": ["A1", "A1", "A2", "A2"], "channel": ["email", "sms", "email", "sms"],
                      "issued": [30, 40, 25, 20], "completed": [18, 8, 10, 9], "satisfied": [15, 3, 6, 5]})
FRAME = {"A1": 700.0, "A2": 450.0}

# R 4.x, survey 4.x (Rscript, December 2026):
#   cells <- data.frame(agency=c("A1","A1","A2","A2"), channel=c("email","sms","email","sms"),
#                       issued=c(30,40,25,20), completed=c(18,8,10,9), satisfied=c(15,3,6,5))
#   inv <- one row per issued invitation with answered = 1 for the completed ones
#   m <- glm(answered ~ agency + channel, family=binomial, data=inv)
#   sd(fitted(m)); 1 - 2*sd(fitted(m))                      # 0.113796970026  0.772406059948
#   resp <- one row per respondent, y = 1 for the satisfied ones,
#           w = N[agency] / issued of the agency * issued / completed of the cell
#   d <- svydesign(ids=~1, strata=~agency, weights=~w, data=resp); svymean(~y, d)
#                                                            # 0.574879227053 (SE 0.084855579847)
#   the same with w = N[agency] / respondents of the agency   # 0.647949304700 (SE 0.072323209652)
R_SD, R_INDICATOR = 0.113796970026, 0.772406059948
R_ADJUSTED, R_ADJUSTED_SE = 0.574879227053, 0.084855579847
R_UNADJUSTED, R_UNADJUSTED_SE = 0.647949304700, 0.072323209652


def respondents() -> pd.DataFrame:
    rows = []
    for cell in CELLS.itertuples():
        rows += [{"agency": cell.agency, "channel": cell.channel, "y": 1.0 if i < cell.satisfied else 0.0}
                 for i in range(cell.completed)]
    data = pd.DataFrame(rows)
    n_h = data.groupby("agency")["y"].transform("size").to_numpy(dtype=float)
    data["d"] = data["agency"].map(FRAME).to_numpy() / n_h  # the platform's design weight N_h / n_h
    return data


def test_r_indicator_equals_r_glm_on_one_row_per_invitation():
    found = r_indicator(CELLS, ("agency", "channel"))
    assert found.sd == pytest.approx(R_SD, abs=1e-8)
    assert found.r == pytest.approx(R_INDICATOR, abs=1e-8)
    assert found.mean == pytest.approx(45 / 115)  # the response rate
    assert (found.issued, found.completed, found.variables) == (115, 45, ("agency", "channel"))


def test_adjusted_weights_and_mean_equal_r_svymean():
    data = respondents()
    cells = CELLS.set_index(["agency", "channel"])
    f = factors(cells["issued"], cells["completed"])
    per_cell = dict(zip(cells.index, f, strict=True))
    factor = np.array([per_cell[(a, c)] for a, c in zip(data["agency"], data["channel"], strict=True)])
    w = adjust(data["d"].to_numpy(), np.ones(len(data)), data["agency"].tolist(), factor)
    # the stratum totals are kept: N_h
    assert w[data["agency"] == "A1"].sum() == pytest.approx(700.0)
    assert w[data["agency"] == "A2"].sum() == pytest.approx(450.0)
    # = N_h / issued_h × issued_c / completed_c
    assert w[0] == pytest.approx(700 / 70 * 30 / 18)
    strata = data["agency"].to_numpy()
    adjusted = survey_mean(data["y"].to_numpy(), make_design(w, strata=strata))
    assert adjusted.estimate == pytest.approx(R_ADJUSTED, abs=1e-9)
    assert adjusted.se == pytest.approx(R_ADJUSTED_SE, abs=1e-9)
    plain = survey_mean(data["y"].to_numpy(), make_design(data["d"].to_numpy(), strata=strata))
    assert plain.estimate == pytest.approx(R_UNADJUSTED, abs=1e-9)
    assert plain.se == pytest.approx(R_UNADJUSTED_SE, abs=1e-9)


def test_factors_and_adjust_edge_cases():
    assert factors([10, 0, 5], [4, 0, 0]).tolist() == [2.5, 1.0, 1.0]
    # without an invitation (factor 1) beside an adjusted cell in one stratum: the total is kept
    w = adjust(np.array([2.0, 2.0]), np.array([3.0, 1.0]), ["h", "h"], np.array([1.0, 5.0]))
    assert (w * [3.0, 1.0]).sum() == pytest.approx(8.0)
    assert w[1] / w[0] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="one value per row"):
        adjust(np.ones(2), np.ones(2), ["h"], np.ones(2))
    with pytest.raises(ValueError, match="positive"):
        adjust(np.ones(1), np.ones(1), ["h"], np.zeros(1))


def test_r_indicator_is_one_when_every_cell_answers_alike_and_none_without_invitations():
    same = pd.DataFrame({"channel": ["email", "sms"], "issued": [40, 60], "completed": [10, 15]})
    assert r_indicator(same, ("channel",)).r == pytest.approx(1.0, abs=1e-9)
    nothing = pd.DataFrame({"channel": ["email"], "issued": [0], "completed": [0]})
    assert r_indicator(nothing, ("channel",)).r is None
    with pytest.raises(ValueError, match="completed"):
        r_indicator(pd.DataFrame({"c": ["x"], "issued": [3], "completed": [4]}), ("c",))


def test_adjustment_removes_the_bias_of_known_propensities_and_its_interval_covers():
    """Two channels answered with probabilities 0.6 and 0.2 by citizens satisfied with probabilities
    0.9 and 0.5: the respondents over-represent the satisfied channel (expected unadjusted mean
    (0.6·0.9 + 0.2·0.5) / 0.8 = 0.8), the truth is 0.7. Over 300 samples the adjusted mean's bias
    is far smaller and its 95 % interval covers 0.7 about 95 % of the time."""
    rng = np.random.default_rng(20261203)
    issued = np.array([300, 300])
    propensity, satisfied = np.array([0.6, 0.2]), np.array([0.9, 0.5])
    truth = float((issued * satisfied).sum() / issued.sum())
    plain, adjusted, covered, plain_covered = [], [], 0, 0
    reps = 300
    for _rep in range(reps):
        channel = np.repeat([0, 1], issued)
        y = rng.random(len(channel)) < satisfied[channel]
        answered = rng.random(len(channel)) < propensity[channel]
        ch, yy = channel[answered], y[answered].astype(float)
        completed = np.bincount(ch, minlength=2)
        d = np.full(len(ch), 1200.0 / len(ch))  # one stratum, design weight N / n
        w = adjust(d, np.ones(len(ch)), ["h"] * len(ch), factors(issued, completed)[ch])
        one = survey_mean(yy, make_design(d))
        two = survey_mean(yy, make_design(w))
        plain.append(one.estimate)
        adjusted.append(two.estimate)
        covered += abs(two.estimate - truth) <= 1.96 * two.se
        plain_covered += abs(one.estimate - truth) <= 1.96 * one.se
    bias_plain = abs(np.mean(plain) - truth)
    bias_adjusted = abs(np.mean(adjusted) - truth)
    assert bias_plain == pytest.approx(0.1, abs=0.01)
    assert bias_adjusted < 0.01 < bias_plain
    assert 0.91 <= covered / reps <= 0.99
    assert plain_covered / reps < 0.2
