"""Per-domain degrees of freedom (issue 13 item 2) against R ``survey`` 4.1.1.

Reference values from ``tests/analysis/data/domain_df.R`` (run with Rscript in that folder) on
``domain_df.csv``: 4 strata with 2-5 clusters each; agency A lies in strata S1-S2, B in S2-S4,
C in S4 only and D everywhere, so each agency's df (2, 9, 4, 8) differs from the wave's (10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import cells as cl
from analysis.prepare import prepare
from analysis.rates import compute_rates, compute_rates_with_total

DATA = Path(__file__).resolve().parent / "data" / "domain_df.csv"

# svyby(~I(q >= 4), ~agency, des, svyciprop, method=...): (ci_l, ci_u) for A, B, C, D
R_CLUSTERED = {
    ("q1", "logit"): [(0.0157798986408483, 0.919292310806098), (0.4897073524420118, 0.884393204952341),
                      (0.4040835689894356, 0.969671731155613), (0.4491949238405483, 0.747339792884550)],
    ("q1", "kg"): [(0.00234427141708973, 0.923276804911024), (0.48688316558114259, 0.901831833420566),
                   (0.45011957239099920, 0.984663490617635), (0.44489055786328519, 0.755734411246656)],
    # q2 has blanks (na.rm=TRUE): the df still counts the domain's PSUs, answered or not
    ("q2", "logit"): [(0.072651686804021, 0.914668011234718), (0.425332579474251, 0.876498419947793),
                      (0.263499280968258, 0.989352691517201), (0.563030457350456, 0.930184569815660)],
}
R_WHOLE_Q1 = {"logit": (0.510913734365342, 0.761001536060343),
              "kg": (0.506229196658606, 0.769401846178852)}
# des1 <- svydesign(ids=~1, strata=~stratum, weights=~w): each respondent its own PSU
R_ROWWISE_Q1 = {
    "logit": [(0.0499022761258497, 0.776633713834864), (0.5109607243951143, 0.875411821322681),
              (0.4012204855564309, 0.970019847264431), (0.4235486506398560, 0.766521531597754)],
    "kg": [(0.0327249457436733, 0.750017354184972), (0.5092950123499216, 0.890595938340765),
           (0.4474332143193440, 0.985032065946159), (0.4168011907200441, 0.778195140875584)],
}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_domain_df_counts_only_the_psus_and_strata_holding_the_domain(frame):
    prep = prepare(frame, ["q1"], None, ["agency"], "w", "stratum", "psu", None, None, (4, 5))
    cells = cl.build_cells(prep.w, prep.d, prep.strata, prep.psu, prep.dom, prep.n_dom,
                           prep.fraction, prep.cal)
    assert cl.domain_df(cells, cells.dom, prep.n_dom).tolist() == [2, 9, 4, 8]  # R: degf(subset(...))
    assert cl.domain_df(cells, np.zeros(cells.n_cells, np.int64), 1).tolist() == [10]


@pytest.mark.parametrize("item,method", list(R_CLUSTERED))
def test_clustered_domain_intervals_match_r_svyby_svyciprop(frame, item, method):
    by, whole = compute_rates_with_total(frame, [item], by=["agency"], weight="w",
                                         strata="stratum", psu="psu", ci=method)
    got = by[["ci_lower", "ci_upper"]].to_numpy()
    np.testing.assert_allclose(got, R_CLUSTERED[(item, method)], atol=1e-6, rtol=0)
    if item == "q1":
        np.testing.assert_allclose(whole[["ci_lower", "ci_upper"]].to_numpy()[0], R_WHOLE_Q1[method],
                                   atol=1e-6, rtol=0)


@pytest.mark.parametrize("method", ["logit", "kg"])
def test_one_respondent_per_psu_domain_intervals_match_r(frame, method):
    out = compute_rates(frame, ["q1"], by=["agency"], weight="w", strata="stratum", ci=method)
    np.testing.assert_allclose(out[["ci_lower", "ci_upper"]].to_numpy(), R_ROWWISE_Q1[method],
                               atol=1e-6, rtol=0)
