"""Strata with a single PSU (issue 13 item 5): R's four options, reported, never silent.

Reference SEs from ``tests/analysis/data/lonely.R`` (R 4.x, survey 4.1.1) on ``lonely.csv``:
strata S1 and S5 hold one cluster each and S6 one respondent.  ``psu``: clusters; ``1``: each
respondent its own PSU.  Raked: ``calibrate(des, ~sex + age, calfun="raking")``; R's ``rake()``
gives 0.0647774888371752 (clusters) and 0.0820068101529203 (rows) instead of 0.0620646775710 and
0.0779040914470: it residualizes by 10 backfitting sweeps over the margins.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.rates import compute_rates, compute_rates_with_total

DATA = Path(__file__).resolve().parent / "data"
MARGINS = pd.DataFrame({"variable": ["sex", "sex", "age", "age", "age"],
                        "category": ["F", "M", "a", "b", "c"], "total": [110, 140, 80, 90, 80]})
# (option, ids, raked): (whole-sample SE, SE for agencies A, B, C)
R_SE = {
    ("adjust", "psu", False): (0.0476357562050521, [0.0784022427191462, 0.0995489177058858, 0.102257860184068]),
    ("adjust", "psu", True): (0.062064677571037, [0.0981556813354211, 0.115304618022888, 0.125097765970876]),
    ("adjust", "1", False): (0.0754565379594729, [0.145990627469059, 0.0927248002352103, 0.114136893979191]),
    ("adjust", "1", True): (0.0779040914470154, [0.137061388755771, 0.115061823643829, 0.130058501278333]),
    ("average", "psu", False): (0.0501413254572861, [0.0422862102469254, 0.10445251698442, 0.140585194396169]),
    ("average", "psu", True): (0.0822231121836262, [0.0965995584670702, 0.14622866335027, 0.16861281198077]),
    ("average", "1", False): (0.0824776555423601, [0.145990627469059, 0.10121874296146, 0.114136893979191]),
    ("average", "1", True): (0.0852320424616525, [0.15013272846989, 0.125882208040004, 0.142471281695039]),
    ("certainty", "psu", False): (0.0354552712485286, [0.0327547576121135, 0.0738590830716868, 0.0994087442919598]),
    ("certainty", "psu", True): (0.0581405201953043, [0.0683062028516917, 0.103399279458821, 0.119227262746535]),
    ("certainty", "1", False): (0.0752914540511526, [0.145990627469059, 0.0923996479371818, 0.114136893979191]),
    ("certainty", "1", True): (0.0778058537974754, [0.137051803337928, 0.114914208220114, 0.130057891301743]),
}
R_RAKED_RATE = 0.705125216140209


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(DATA / "lonely.csv")


@pytest.mark.parametrize("option,ids,raked", list(R_SE))
def test_lonely_psu_options_match_r(frame, option, ids, raked):
    by, whole = compute_rates_with_total(
        frame, ["q"], by=["agency"], weight="w", strata="stratum", psu="psu" if ids == "psu" else None,
        margins=MARGINS if raked else None, lonely_psu=option,
    )
    se_whole, se_by = R_SE[(option, ids, raked)]
    rel = 1e-8 if raked else 1e-10  # raking stops at a relative margin error of 1e-10
    assert whole["se"].iloc[0] == pytest.approx(se_whole, rel=rel)
    assert by["se"].tolist() == pytest.approx(se_by, rel=rel)
    if raked:
        assert whole["rate"].iloc[0] == pytest.approx(R_RAKED_RATE, rel=1e-9)
    lonely = "S1, S5, S6" if ids == "psu" else "S6"
    assert whole["note"].iloc[0].endswith(f"({lonely}): lonely-psu {option}")
    # only the agencies whose respondents sit in a lonely stratum carry the note
    in_lonely = frame[frame["stratum"].isin(lonely.split(", "))].groupby("agency").size()
    assert (by["note"] != "").tolist() == [a in in_lonely.index for a in by["agency"]]


def test_fail_names_the_stratum(frame):
    with pytest.raises(ValueError, match="stratum 'S1' has a single PSU"):
        compute_rates(frame, ["q"], weight="w", strata="stratum", psu="psu", lonely_psu="fail")


def test_no_note_column_without_lonely_strata(frame):
    ok = frame[~frame["stratum"].isin(["S1", "S5", "S6"])]
    out = compute_rates(ok, ["q"], by=["agency"], weight="w", strata="stratum", psu="psu")
    assert list(out.columns) == ["agency", "measure", "n", "rate", "se", "ci_lower", "ci_upper",
                                 "deff", "n_eff"]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)


def test_cli_warns_on_stderr_and_adds_a_note_column_after_the_contract_columns():
    res = _cli("rates", "--input", str(DATA / "lonely.csv"), "--items", "q", "--by", "agency",
               "--weight", "w", "--strata", "stratum", "--psu", "psu")
    assert res.returncode == 0, res.stderr
    assert res.stderr.startswith("warning: ") and "S1, S5, S6" in res.stderr and "note" in res.stderr
    out = pd.read_csv(io.StringIO(res.stdout), keep_default_na=False)
    assert list(out.columns) == ["agency", "measure", "n", "rate", "se", "ci_lower", "ci_upper",
                                 "deff", "n_eff", "note"]
    res = _cli("rates", "--input", str(DATA / "lonely.csv"), "--items", "q", "--weight", "w",
               "--strata", "stratum", "--psu", "psu", "--lonely-psu", "fail")
    assert res.returncode == 2 and "S1" in res.stderr and "lonely" in res.stderr
    assert "Traceback" not in res.stderr
