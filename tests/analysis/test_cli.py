"""``python -m analysis`` contract and its one-line errors (exit 2)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.analysis.conftest import make_sipas

ROOT = Path(__file__).resolve().parents[2]
ITEMS = "q01,q02,q03,q04,q05,q06"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def files(tmp_path):
    frame = make_sipas(1200, seed=7)
    frame.to_csv(tmp_path / "resp.csv", index=False)
    pd.DataFrame({"item": ITEMS.split(","), "factor": ["F1"] * 3 + ["F2"] * 3}).to_csv(
        tmp_path / "factors.csv", index=False)
    pd.DataFrame({"variable": ["gender", "gender"], "category": ["F", "M"],
                  "total": [600.0, 500.0]}).to_csv(tmp_path / "margins.csv", index=False)
    return tmp_path


def test_rates_writes_contract_csv_to_stdout(files):
    res = run("rates", "--input", str(files / "resp.csv"), "--items", ITEMS, "--factors",
              str(files / "factors.csv"), "--by", "agency", "--weight", "weight",
              "--strata", "agency", "--margins", str(files / "margins.csv"))
    assert res.returncode == 0, res.stderr
    out = pd.read_csv(io.StringIO(res.stdout))
    assert list(out.columns) == ["agency", "measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]
    assert set(out["measure"]) == {*ITEMS.split(","), "F1", "F2", "overall"}


def test_rates_output_file_and_options(files):
    res = run("rates", "--input", str(files / "resp.csv"), "--items", ITEMS, "--rule", "mean",
              "--ci", "kg", "--level", "0.9", "--satisfied", "5", "--output", str(files / "o.csv"))
    assert res.returncode == 0 and res.stdout == ""
    assert len(pd.read_csv(files / "o.csv")) == 6


def test_rake_and_rank_commands(files):
    res = run("rake", "--input", str(files / "resp.csv"), "--weight", "weight", "--margins",
              str(files / "margins.csv"), "--output", str(files / "raked.csv"))
    assert res.returncode == 0, res.stderr
    raked = pd.read_csv(files / "raked.csv")
    assert raked.groupby("gender")["weight"].sum().to_dict() == pytest.approx({"F": 600, "M": 500})
    run("rates", "--input", str(files / "resp.csv"), "--items", ITEMS, "--factors",
        str(files / "factors.csv"), "--by", "agency", "--output", str(files / "r.csv"))
    res = run("rank", "--input", str(files / "r.csv"), "--measure", "overall", "--by", "agency")
    assert res.returncode == 0, res.stderr
    ranked = pd.read_csv(io.StringIO(res.stdout))
    assert {"rank", "rank_lower", "rank_upper", "p_top", "tier", "flagged"} <= set(ranked.columns)


def _error(res, *needles):
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0]


def test_unknown_column_is_named(files):
    _error(run("rates", "--input", str(files / "resp.csv"), "--items", "q01,q77"), "q77")
    _error(run("rates", "--input", str(files / "resp.csv"), "--items", "q01", "--by", "region"), "region")


def test_non_numeric_answer_gives_column_and_line(files):
    frame = pd.read_csv(files / "resp.csv")
    frame["q03"] = frame["q03"].astype(object)
    frame.loc[9, "q03"] = "good"
    frame.to_csv(files / "bad.csv", index=False)
    _error(run("rates", "--input", str(files / "bad.csv"), "--items", ITEMS), "q03", "line 11", "good")


@pytest.mark.parametrize("value", [0, -2])
def test_zero_or_negative_weight_is_refused(files, value):
    frame = pd.read_csv(files / "resp.csv")
    frame.loc[4, "weight"] = value
    frame.to_csv(files / "bad.csv", index=False)
    _error(run("rates", "--input", str(files / "bad.csv"), "--items", ITEMS, "--weight", "weight"),
           "weight", "line 6")


def test_empty_domain_is_a_row_with_n_0_and_blank_statistics(files):
    """Issue 13 item 4: one agency with no answers used to abort the table (``empty domain``)."""
    frame = pd.read_csv(files / "resp.csv")
    frame.loc[frame["agency"] == "A01", ITEMS.split(",")] = None
    frame.to_csv(files / "bad.csv", index=False)
    res = run("rates", "--input", str(files / "bad.csv"), "--items", ITEMS, "--by", "agency")
    assert res.returncode == 0, res.stderr
    out = pd.read_csv(io.StringIO(res.stdout))
    empty = out[out["agency"] == "A01"]
    assert len(empty) == len(ITEMS.split(",")) and (empty["n"] == 0).all()
    stats_cols = ["rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]
    assert empty[stats_cols].isna().all().all()
    assert out.loc[out["agency"] != "A01", stats_cols].notna().all().all()


def test_margins_not_matching_are_refused(files):
    pd.DataFrame({"variable": ["gender", "gender", "age"], "category": ["F", "M", "18-34"],
                  "total": [600, 500, 900]}).to_csv(files / "m1.csv", index=False)
    _error(run("rates", "--input", str(files / "resp.csv"), "--items", ITEMS, "--margins",
               str(files / "m1.csv")), "disagree")
    pd.DataFrame({"variable": ["gender", "gender", "gender"], "category": ["F", "M", "X"],
                  "total": [600, 500, 10]}).to_csv(files / "m2.csv", index=False)
    _error(run("rake", "--input", str(files / "resp.csv"), "--margins", str(files / "m2.csv")),
           "'X'", "no respondents")
    pd.DataFrame({"variable": ["gender"], "category": ["F"], "total": [600]}).to_csv(
        files / "m3.csv", index=False)
    _error(run("rake", "--input", str(files / "resp.csv"), "--margins", str(files / "m3.csv")),
           "'M'", "no margin")
    pd.DataFrame({"variable": ["sex"], "category": ["F"], "total": [600]}).to_csv(
        files / "m4.csv", index=False)
    _error(run("rake", "--input", str(files / "resp.csv"), "--margins", str(files / "m4.csv")), "sex")


def test_bad_option_and_missing_file(files):
    _error(run("rates", "--input", str(files / "resp.csv"), "--items", ITEMS, "--ci", "exact"), "exact")
    _error(run("rates", "--input", str(files / "nope.csv"), "--items", ITEMS), "not found")
