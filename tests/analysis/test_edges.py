"""Bad or thin input never gives a confident wrong answer (issue 13 items 4-6)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.rates import compute_rates, compute_rates_with_total

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


def _cli(*args):
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)


def test_codes_outside_the_scale_are_refused_naming_column_and_line(tmp_path):
    """9 ("don't know") and 0 used to count as "not satisfied" (0.541 instead of 0.649)."""
    frame = pd.DataFrame({"q1": [5, 4, 2, 9, 4], "q2": [5, 0, 4, 4, 1]})
    frame.to_csv(tmp_path / "r.csv", index=False)
    res = _cli("rates", "--input", str(tmp_path / "r.csv"), "--items", "q1,q2")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "'q1'" in res.stderr and "line 5" in res.stderr and "'9'" in res.stderr and "1,2,3,4,5" in res.stderr
    res = _cli("rates", "--input", str(tmp_path / "r.csv"), "--items", "q1,q2", "--codes", "0,1,2,3,4,5,9")
    assert res.returncode == 0, res.stderr
    with pytest.raises(ValueError, match=r"column 'q2', row 1: '0' is not one of the codes"):
        compute_rates(frame, ["q2"], codes=[1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match="satisfied value 6 is not one of the codes"):
        compute_rates(frame, ["q2"], codes=[1, 2, 3, 4, 5], satisfied=[5, 6])


def test_labels_in_nfc_and_nfd_are_one_domain(tmp_path):
    import unicodedata

    name = "Sở Tư pháp"
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    frame = pd.DataFrame({"agency": [name, nfd, name, nfd], "gender": ["Nữ", unicodedata.normalize("NFD", "Nữ"), "Nam", "Nam"],
                          "q": [5, 4, 1, 5]})
    margins = pd.DataFrame({"variable": ["gender", "gender"],
                            "category": [unicodedata.normalize("NFD", "Nữ"), "Nam"], "total": [10, 10]})
    out = compute_rates(frame, ["q"], by=["agency"], factors={unicodedata.normalize("NFD", "Yếu tố"): ["q"]},
                        margins=margins)
    assert out["agency"].tolist() == [name] * 3 and out["n"].tolist() == [4, 4, 4]
    assert out["measure"].tolist() == ["q", "Yếu tố", "overall"]
    frame.to_csv(tmp_path / "r.csv", index=False)
    res = _cli("rates", "--input", str(tmp_path / "r.csv"), "--items", "q", "--by", "agency")
    assert res.returncode == 0, res.stderr
    assert res.stdout.count(name) == 1 and nfd not in res.stdout


def test_a_margin_total_of_0_for_a_category_in_the_sample_is_an_error():
    frame = pd.DataFrame({"g": ["F", "M", "M", "X"], "q": [5, 4, 1, 5]})
    margins = pd.DataFrame({"variable": ["g"] * 3, "category": ["F", "M", "X"], "total": [10, 10, 0]})
    with pytest.raises(ValueError, match=r"g: category 'X' has a margin total of 0 but 1 respondent"):
        compute_rates(frame, ["q"], margins=margins)


def test_semicolon_csv_with_decimal_commas_is_read(tmp_path):
    """What Excel writes in a Vietnamese locale: ``;`` between fields, ``,`` as the decimal mark."""
    frame = pd.DataFrame({"agency": ["A", "A", "B", "B", "B"], "weight": [1.5, 2.25, 3.0, 1.0, 2.5],
                          "q": [5, 4, 1, 2, 5]})
    frame.to_csv(tmp_path / "comma.csv", index=False)
    text = "\ufeffagency;weight;q\n" + "".join(
        f"{a};{str(w).replace('.', ',')};{q}\n" for a, w, q in frame.itertuples(index=False))
    (tmp_path / "semi.csv").write_text(text, encoding="utf-8")
    args = ["--items", "q", "--by", "agency", "--weight", "weight"]
    ref = _cli("rates", "--input", str(tmp_path / "comma.csv"), *args)
    got = _cli("rates", "--input", str(tmp_path / "semi.csv"), *args)
    assert got.returncode == 0, got.stderr
    assert got.stdout == ref.stdout
    (tmp_path / "bad.csv").write_text("agency;weight;q\nA;1,5;5;7\n", encoding="utf-8")
    bad = _cli("rates", "--input", str(tmp_path / "bad.csv"), *args)
    assert bad.returncode == 2 and "';'" in bad.stderr and "Traceback" not in bad.stderr


def test_decision766_is_100_minus_overdue_minus_complaint_counting_overlap_twice():
    from analysis.sipas import decision766

    # 10 cases: 4 overdue, 3 complained, 2 of them both; the share with neither is 5/10
    frame = pd.DataFrame({"overdue": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
                          "complaint": [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]})
    out = decision766(frame, overdue="overdue", complaint="complaint", ci="wald")
    assert out["rate"].iloc[0] == pytest.approx(1 - 0.4 - 0.3)
    assert out["n"].iloc[0] == 10
    half = (out["ci_upper"] - out["rate"]).iloc[0]
    assert half == pytest.approx(out["rate"].iloc[0] - out["ci_lower"].iloc[0])
