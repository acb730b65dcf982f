"""Bad or thin input never gives a confident wrong answer (issue 13 items 4-6)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.rates import compute_rates_with_total

STATS = ["rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]


@pytest.mark.parametrize("rule", ["pooled", "mean"])
@pytest.mark.parametrize("ci", ["logit", "kg", "wilson", "wald"])
def test_a_domain_nobody_answered_is_a_row_with_n_0(rule, ci):
    frame = pd.DataFrame({"ag": list("AAABBBCC"), "q1": [5, 4, 1, 2, 5, 5, None, None],
                          "q2": [5, None, 1, 2, 5, 1, None, None]})
    by, whole = compute_rates_with_total(frame, ["q1", "q2"], by=["ag"], factors={"F": ["q1", "q2"]},
                                         rule=rule, ci=ci)
    empty = by[by["ag"] == "C"]
    assert empty["measure"].tolist() == ["q1", "q2", "F", "overall"]
    assert (empty["n"] == 0).all() and empty[STATS].isna().all().all()
    assert by.loc[by["ag"] != "C", STATS].notna().all().all()
    assert (whole["n"] == [6, 5, 6, 6]).all()
