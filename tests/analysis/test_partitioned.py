"""``python -m analysis rates`` over a Parquet dataset on Dask equals the single-process table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.partitioned import partitioned_rates
from analysis.rates import compute_rates
from tests.analysis.test_moments import FACTORS, ITEMS, same, synthetic

distributed = pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[2]
DATA, MARGINS = synthetic(3000, seed=7)
CASES = {
    "by_agency": dict(by=["agency"]),
    "weights_strata": dict(weight="w", strata="agency", by=["region"]),
    "fpc": dict(weight="w", strata="agency", fpc="pop", by=["agency", "gender"]),
    "raked": dict(weight="w", strata="agency", fpc="pop", margins=MARGINS, by=["region"]),
    "raked_whole": dict(margins=MARGINS),
}


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each: tasks really run elsewhere and results travel."""
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as lc, distributed.Client(lc) as client:
        yield client.scheduler.address


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """One Parquet file per agency, as ``flask responses export --format parquet`` writes."""
    out = tmp_path_factory.mktemp("export")
    for agency, rows in DATA.groupby("agency"):
        rows.to_parquet(out / f"{agency}.parquet", index=False)
    return out


@pytest.mark.parametrize("rule", ["pooled", "mean"])
@pytest.mark.parametrize("case", list(CASES))
def test_dask_equals_single_process(cluster, dataset, case, rule):
    kw = dict(factors=FACTORS, rule=rule, **CASES[case])
    expected = compute_rates(DATA, ITEMS, **kw)
    got = partitioned_rates(str(dataset / "*.parquet"), ITEMS, scheduler=cluster, **kw)
    same(expected, got)
    same(expected, partitioned_rates(str(dataset / "*.parquet"), ITEMS, **kw))  # no Dask


def cli_files(tmp_path: Path) -> list[str]:
    factors = pd.DataFrame([(i, f) for f, cols in FACTORS.items() for i in cols], columns=["item", "factor"])
    factors.to_csv(tmp_path / "factors.csv", index=False)
    MARGINS.to_csv(tmp_path / "margins.csv", index=False)
    return ["rates", "--items", ",".join(ITEMS), "--factors", str(tmp_path / "factors.csv"),
            "--rule", "mean", "--by", "agency", "--weight", "w", "--strata", "agency",
            "--fpc", "pop", "--margins", str(tmp_path / "margins.csv")]


def test_cli_on_a_cluster_writes_the_single_process_csv(cluster, dataset, tmp_path):
    args = cli_files(tmp_path)
    pattern = str(dataset / "*.parquet")
    DATA.to_csv(tmp_path / "all.csv", index=False)
    assert main([*args, "--input", str(tmp_path / "all.csv"), "--output", str(tmp_path / "csv.csv")]) == 0
    assert main([*args, "--input", pattern, "--output", str(tmp_path / "local.csv")]) == 0
    run = subprocess.run(
        [sys.executable, "-m", "analysis", *args, "--input", pattern, "--scheduler", cluster,
         "--output", str(tmp_path / "dask.csv")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    single = pd.read_csv(tmp_path / "csv.csv")
    same(single, pd.read_csv(tmp_path / "local.csv"))
    dask = pd.read_csv(tmp_path / "dask.csv")
    same(single, dask)
    assert len(dask) == 4 * (len(ITEMS) + len(FACTORS) + 1) and dask["agency"].nunique() == 4


def test_scheduler_local_starts_a_cluster_for_the_run(dataset, tmp_path, capsys):
    code = main([*cli_files(tmp_path), "--input", str(dataset / "A*.parquet"), "--scheduler", "local",
                 "--output", str(tmp_path / "out.csv")])
    assert code == 0, capsys.readouterr().err
    three = DATA[DATA["agency"].str.startswith("A")]
    expected = compute_rates(three, ITEMS, factors=FACTORS, rule="mean", by=["agency"], weight="w",
                             strata="agency", fpc="pop", margins=MARGINS)
    same(expected, pd.read_csv(tmp_path / "out.csv"))


def test_a_pattern_that_matches_nothing_is_one_line(tmp_path, capsys):
    code = main(["rates", "--items", "q1", "--input", str(tmp_path / "none" / "*.parquet")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("error: no input file matches") and "none" in err
    code = main(["rates", "--items", "q1", "--input", str(tmp_path / "*.csv"), "--scheduler", "dask"])
    assert code == 2 and "--scheduler is 'local' or an address like tcp://" in capsys.readouterr().err


def test_file_errors_name_the_file(cluster, tmp_path, capsys):
    DATA[DATA["agency"] == "A1"].to_parquet(tmp_path / "good.parquet", index=False)
    DATA[DATA["agency"] == "A2"].drop(columns="q3").to_parquet(tmp_path / "bad.parquet", index=False)
    for scheduler in ([], ["--scheduler", cluster]):
        code = main(["rates", "--items", ",".join(ITEMS), "--input", str(tmp_path / "*.parquet"),
                     *scheduler])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1
        assert "bad.parquet" in err and "unknown item 'q3': not a column of the data" in err
    bad = DATA[DATA["agency"] == "A2"].reset_index(drop=True)
    bad["q2"] = bad["q2"].where(bad.index != 4, 9.0)  # outside the scale
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    code = main(["rates", "--items", ",".join(ITEMS), "--input", str(tmp_path / "*.parquet"),
                 "--scheduler", cluster])
    err = capsys.readouterr().err
    assert code == 2 and "bad.parquet" in err and "column 'q2', row 5: '9' is not one of the codes" in err


def test_factor_errors_come_before_any_file_is_read(tmp_path):
    with pytest.raises(ValueError, match="factor 'F' names 'q9', which is not among the items"):
        partitioned_rates(str(tmp_path / "*.parquet"), ITEMS, factors={"F": ["q1", "q9"]},
                          scheduler="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="an item is listed twice"):
        partitioned_rates(str(tmp_path / "*.parquet"), ["q1", "q1"], scheduler="local")


def test_psu_designs_stay_on_the_single_process_path(cluster, dataset):
    kw = dict(factors=FACTORS, weight="w", strata="agency", psu="region")
    expected = compute_rates(DATA, ITEMS, **kw)
    same(expected, partitioned_rates(str(dataset / "*.parquet"), ITEMS, **kw))
    with pytest.raises(ValueError, match="--psu cannot be used with --scheduler"):
        partitioned_rates(str(dataset / "*.parquet"), ITEMS, scheduler=cluster, **kw)


def test_csv_files_are_read_as_the_command_line_reads_them(cluster, tmp_path):
    for agency, rows in DATA.groupby("agency"):
        text = rows.to_csv(index=False, sep=";").replace(".", ",")  # Excel in a decimal-comma locale
        (tmp_path / f"{agency}.csv").write_text(text, encoding="utf-8")
    kw = dict(factors=FACTORS, weight="w", strata="agency", by=["region"])
    got = partitioned_rates(str(tmp_path / "*.csv"), ITEMS, scheduler=cluster, **kw)
    expected = compute_rates(DATA, ITEMS, **kw)
    assert np.max(np.abs(got["rate"] - expected["rate"])) < 1e-9 and got["n"].equals(expected["n"])
    with open(tmp_path / "B1.csv", "a", encoding="utf-8") as fh:
        fh.write("B1;north;F;old;1;2;3;4;5;5;4;3;2;1;5;4;3\n")  # longer than the header
    with pytest.raises(ValueError, match=r"input file '.*B1\.csv': .*Expected \d+ fields"):
        partitioned_rates(str(tmp_path / "*.csv"), ITEMS, **kw)


@pytest.mark.parametrize("mode", ["adjust", "certainty"])
def test_lonely_strata_notes_match(cluster, tmp_path, mode):
    data = DATA.copy()
    data.loc[data.index[[7, 9, 11]], "agency"] = ["solo", "solo2", "solo3"]  # strata of one
    for agency, rows in data.groupby("agency"):
        rows.to_parquet(tmp_path / f"{agency}.parquet", index=False)
    kw = dict(factors=FACTORS, rule="mean", weight="w", strata="agency", lonely_psu=mode)
    for by in (None, ["gender"]):
        expected = compute_rates(data, ITEMS, by=by, **kw)
        assert "note" in expected.columns
        same(expected, partitioned_rates(str(tmp_path / "*.parquet"), ITEMS, scheduler=cluster,
                                         by=by, **kw))



def test_weights_that_vary_per_respondent_are_refused_before_memory_runs_out(tmp_path, monkeypatch):
    import analysis.partitioned as pt

    rows = DATA.assign(w=DATA["w"] * (1 + np.arange(len(DATA)) * 1e-6))  # raked per respondent
    rows.to_parquet(tmp_path / "raked.parquet", index=False)
    opts = pt.Options(tuple(ITEMS), FACTORS, weight="w", strata="agency")
    assert pt.file_moments(str(tmp_path / "raked.parquet"), opts).n_cells == len(DATA)
    monkeypatch.setattr(pt, "MAX_CELL_BYTES", 1 << 20)  # the task's check, at 3,000 rows
    with pytest.raises(ValueError, match=r"raked\.parquet': 3000 cells of agency, w for 3000 rows"):
        pt.file_moments(str(tmp_path / "raked.parquet"), opts)


def test_number_labels_are_text_as_in_the_csv(cluster, tmp_path):
    """A by column of numbers (9 and 10) and a margin variable coded 1/2: the CSV's labels are
    text ("10" sorts before "9", the margins file's "1" matches), so the Parquet ones are too."""
    data = DATA.assign(size=np.where(DATA["agency"] == "A1", 9, 10),
                       sex=np.where(DATA["gender"] == "F", 1, 2))
    for agency, rows in data.groupby("agency"):
        rows.to_parquet(tmp_path / f"{agency}.parquet", index=False)
    data.to_csv(tmp_path / "all.csv", index=False)
    MARGINS.assign(variable=MARGINS["variable"].replace({"gender": "sex"}),
                   category=MARGINS["category"].replace({"F": "1", "M": "2"})).to_csv(
        tmp_path / "margins.csv", index=False)
    args = ["rates", "--items", ",".join(ITEMS), "--by", "size", "--weight", "w",
            "--margins", str(tmp_path / "margins.csv")]
    outs = {}
    for name, extra in (("csv", ["--input", str(tmp_path / "all.csv")]),
                        ("dask", ["--input", str(tmp_path / "*.parquet"), "--scheduler", cluster])):
        assert main([*args, *extra, "--output", str(tmp_path / f"{name}.out")]) == 0
        outs[name] = pd.read_csv(tmp_path / f"{name}.out", dtype={"size": str})
    assert outs["dask"]["size"].tolist()[:len(ITEMS) + 1] == ["10"] * len(ITEMS) + ["9"]
    same(outs["csv"], outs["dask"])
