"""Label and answer columns: the per-distinct-value fast paths keep the row-by-row meaning.

Labels are taken verbatim (surrounding whitespace makes another domain or stratum, only an
all-whitespace label is blank), numeric labels sort as numbers, text answers are stripped
before parsing, and a yes/no answer matches as given or as text.
"""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest

from analysis.design import codes, make_design
from analysis.estimators import survey_ratio
from analysis.prepare import _parse, distinct, numeric, prepare
from analysis.rates import compute_rates
from analysis.sipas import _coded, _indicator, apology_rate, decision766

WS = [" a", "a", "a ", "\ta", "b"]


def _frame(labels, n=400, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lab = np.empty(n, dtype=object)
    lab[:] = [labels[i] for i in rng.integers(0, len(labels), n)]
    lab[: len(labels)] = labels  # every label present, in this order of first appearance
    q = np.where(rng.random(n) < 0.6, 5.0, 2.0)
    q[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({"lab": lab, "q": q, "weight": rng.uniform(1, 3, n)})


def _prep(frame, by=None, strata=None, psu=None):
    return prepare(frame, ["q"], None, by, "weight", strata, psu, None, None, (4, 5))


def test_labels_with_surrounding_whitespace_are_their_own_domains_in_sorted_order():
    frame = _frame(WS)
    out = compute_rates(frame, ["q"], by=["lab"], weight="weight")
    assert out["lab"].tolist() == sorted(WS)  # verbatim, not stripped, not merged
    for label in WS:
        rows = frame["lab"] == label
        row = out[out["lab"] == label].iloc[0]
        assert row["n"] == frame.loc[rows, "q"].notna().sum()


def test_whitespace_strata_and_psus_are_distinct_units():
    frame = _frame(WS)
    frame["psu"] = np.array([" 1", "1", "1 "], dtype=object)[np.arange(len(frame)) % 3]
    prep = _prep(frame, strata="lab", psu="psu")
    assert prep.strata.tolist() == codes(frame["lab"]).tolist()
    assert prep.strata.max() + 1 == len(WS) and prep.psu.max() + 1 == 3 * len(WS)
    row = compute_rates(frame, ["q"], weight="weight", strata="lab").iloc[0]
    x = frame["q"].to_numpy(float)
    design = make_design(frame["weight"].to_numpy(float), strata=frame["lab"])
    ref = survey_ratio(np.isin(x, [4, 5]).astype(float), (~np.isnan(x)).astype(float), design)
    assert row["se"] == pytest.approx(ref.se, rel=1e-12)


@pytest.mark.parametrize("labels, order", [
    ([10, 2, 33], [2, 10, 33]),  # as numbers, not as text ("10" < "2")
    ([2.5, -1.0, 10.0], [-1.0, 2.5, 10.0]),
    (["10", "2", "33"], ["10", "2", "33"]),
    ([1, "1", "x", 0.5], [0.5, 1, "1", "x"]),  # pandas' mixed sort: numbers first
])
def test_numeric_labels_sort_as_numbers_and_keep_their_type(labels, order):
    frame = _frame(labels)
    if all(isinstance(v, (int, float)) for v in labels):
        frame["lab"] = frame["lab"].to_numpy().astype(type(labels[0]))
    out = compute_rates(frame, ["q"], by=["lab"])
    assert out["lab"].tolist() == order
    assert [type(v) for v in out["lab"]] == [type(v) for v in order]


@pytest.mark.parametrize("blank", [np.nan, None, pd.NA, pd.NaT, decimal.Decimal("NaN"), "", "  ", "\t", "\u00a0"])
@pytest.mark.parametrize("what", ["by", "strata", "psu"])
def test_blank_label_is_an_error_on_its_first_row(blank, what):
    frame = _frame(WS)
    frame.loc[[7, 30], "lab"] = [blank, blank]
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    with pytest.raises(ValueError, match=rf"^{what} column 'lab' is blank on line 9$"):
        _prep(frame, **{what: ["lab"] if what == "by" else "lab"})


@pytest.mark.parametrize("dtype", ["category", "string"])
def test_categorical_and_string_dtype_labels_code_as_their_values(dtype):
    frame = _frame(WS)
    other = frame.assign(lab=frame["lab"].astype(dtype))
    for by in (["lab"], None):
        want = compute_rates(frame, ["q"], by=by, weight="weight", strata="lab")
        got = compute_rates(other, ["q"], by=by, weight="weight", strata="lab")
        pd.testing.assert_frame_equal(got.astype({"lab": object}) if by else got, want, check_exact=True)
    whitespace = frame.assign(lab=frame["lab"].where(frame.index != 5, "  ").astype(dtype))
    with pytest.raises(ValueError, match="by column 'lab' is blank on row 5"):
        _prep(whitespace, by=["lab"])


TEXT = {
    "spaced": [" 4", "5 ", " 3 ", "", "  ", None, np.nan, "\t2"],
    "decimal": ["4.0", "5.00", "1e0", "+4", "-1", "inf"],
    "bad": ["4", "good", None],
    "nan_text": ["4", "nan"],
    "numbers": [1, 4.0, 5, None, -0.0],
    "bool": [1, True, 4],  # True merges with 1 when factorized: must still be rejected
    "bytes": [b" 4", "5"],
    "large": ["9007199254740993", "18446744073709551617", "4"],
}


def _column(values, n=300, seed=1):
    rng = np.random.default_rng(seed)
    col = np.empty(n, dtype=object)
    col[:] = [values[i] for i in rng.integers(0, len(values), n)]
    col[-len(values):] = values
    return col


@pytest.mark.parametrize("name", list(TEXT))
@pytest.mark.parametrize("kind", ["object", "string"])
def test_numeric_parses_each_distinct_text_as_the_row_by_row_parse(name, kind):
    col = _column(TEXT[name])
    if kind == "string":
        col = pd.array([v if v is None or isinstance(v, str) else str(v) for v in col], dtype="string")
    frame = pd.DataFrame({"x": col})
    values, bad = _parse(frame["x"])  # the definition, row by row
    if bad.any():
        with pytest.raises(ValueError, match=rf"column 'x', row {int(np.flatnonzero(bad)[0])}: .* is not a number"):
            numeric(frame, "x")
    else:
        got = numeric(frame, "x")
        assert np.array_equal(got, values, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(values))


def test_numeric_strips_text_answers():
    frame = pd.DataFrame({"x": [" 4", "5 ", "", "  ", None, " 3.5 "]})
    assert np.array_equal(numeric(frame, "x"), [4, 5, np.nan, np.nan, np.nan, 3.5], equal_nan=True)


ANSWERS = {
    "float": [1.0, 0.0, np.nan, -0.0],
    "int": np.array([0, 1, 2]),
    "bool": np.array([True, False]),
    "text": ["yes", " yes", "Yes", "no", "1", "1.0", "True", "", " ", None],
    "mixed": [1, "1", 1.0, True, "yes", None],
}


@pytest.mark.parametrize("name", list(ANSWERS))
@pytest.mark.parametrize("values", [(1, "yes", True), ("1",), (0.0,), ("-0.0",), ("1.0", 5), (np.nan,)])
def test_indicator_codes_each_distinct_answer_as_row_by_row(name, values):
    answers = ANSWERS[name]
    col = pd.Series(_column(list(answers))).astype(np.asarray(answers).dtype if name in ("int", "bool") else object)
    if name == "float":
        col = col.astype(float)
    frame = pd.DataFrame({"x": col})
    assert np.array_equal(_indicator(frame, "x", values).to_numpy(), _coded(frame["x"], values), equal_nan=True)


def test_indicator_matches_as_given_or_as_text_but_does_not_strip():
    frame = pd.DataFrame({"x": ["yes", " yes", "1", 1, 1.0, None, "  "]})
    got = _indicator(frame, "x", (1, "yes", True)).tolist()
    assert got[:5] == [2.0, 1.0, 2.0, 2.0, 2.0] and np.isnan(got[5:]).all()


def test_distinct_tells_apart_what_factorize_would_merge():
    assert distinct(pd.Series([1, True, 1.0], dtype=object)) is None
    c, values = distinct(pd.Series([0.0, -0.0, np.nan, 0.0]))
    assert c.tolist() == [0, 1, 2, 0] and np.signbit(values.to_numpy()).tolist() == [False, True, False]
    c, values = distinct(pd.Series(["a", None, " a", "a"], dtype=object))
    assert values.to_numpy()[c].tolist() == ["a", None, " a", "a"]


def test_sipas_figures_leave_the_callers_frame_alone():
    frame = pd.DataFrame({"late": [1, 1, 1, 1, 0], "apology": ["yes", "yes", "no", " yes", "yes"],
                          "_ontime": [9.0] * 5})
    before = frame.copy()
    row = apology_rate(frame, late="late", apology="apology", apology_values=("yes",)).iloc[0]
    assert row["rate"] == pytest.approx(0.5) and row["n"] == 4
    assert decision766(frame, overdue="late", complaint="apology").iloc[0]["rate"] == pytest.approx(-0.4)
    pd.testing.assert_frame_equal(frame, before)
