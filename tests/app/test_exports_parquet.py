"""``flask responses export --format parquet``: one Parquet file per agency, the CSV export's values."""
from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.extensions import db
from app.models import Response
from app.shared import cells
from tests import factories


def export(runner, tmp_path, fmt: str, output):
    result = runner.invoke(args=["responses", "export", "--wave", "demo", "--format", fmt,
                                 "--output", str(output)])
    return result


def test_parquet_dataset_has_one_file_per_agency_with_the_csv_values(runner, tmp_path):
    wave = factories.demo_wave(responses=240)
    csv_path, folder = tmp_path / "export.csv", tmp_path / "parquet"
    assert export(runner, tmp_path, "csv", csv_path).exit_code == 0
    result = export(runner, tmp_path, "parquet", folder)
    assert result.exit_code == 0, result.output

    files = sorted(folder.iterdir())
    parts = {f.name: pq.read_table(f) for f in files}
    assert all(name.endswith(".parquet") for name in parts)
    for name, part in parts.items():  # each file holds its agency's rows only
        assert set(part.column("agency").to_pylist()) == {name.removesuffix(".parquet")}
    schemas = {part.schema for part in parts.values()}
    assert len(schemas) == 1  # one schema: the files read as one dataset
    dataset = pa.concat_tables(parts.values()).to_pandas()

    text = pd.read_csv(io.StringIO(csv_path.read_text(encoding="utf-8")), dtype=str, keep_default_na=False)
    assert list(dataset.columns) == list(text.columns)
    # the demo wave's responses only (the demo also has the old provinces' waves)
    assert len(dataset) == len(text) == db.session.query(Response).filter_by(wave_id=wave.id).count() >= 200
    dataset = dataset.set_index("response_id").sort_index()
    text = text.assign(response_id=text["response_id"].astype(int)).set_index("response_id").sort_index()
    schema = schemas.pop()
    numeric = {f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)}
    assert {"weight", "f1_1"} <= numeric and "agency" not in numeric and "submitted_on" not in numeric
    assert pa.types.is_integer(schema.field("f1_1").type)  # a 1..5 scale: integers, as in the CSV
    for column in text.columns:
        ours, theirs = dataset[column].tolist(), text[column].tolist()
        if column in numeric:  # the number the CSV writes, exactly
            assert [None if pd.isna(v) else float(v) for v in ours] == \
                [float(v) if v != "" else None for v in theirs], column
        else:  # text as text: codes keep their leading zeros, blanks are nulls
            assert ["" if pd.isna(v) else v for v in ours] == [cells.unescape(v) for v in theirs], column


def test_an_existing_folder_with_files_is_refused(runner, tmp_path):
    factories.demo_wave(responses=60)
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    result = export(runner, tmp_path, "parquet", folder)
    assert result.exit_code == 1
    assert "not empty" in result.output and str(folder) in result.output
    assert sorted(p.name for p in folder.iterdir()) == ["keep.txt"]
    (tmp_path / "file").write_text("x")
    result = export(runner, tmp_path, "parquet", tmp_path / "file")
    assert result.exit_code == 1 and "is a file" in result.output


def test_an_empty_folder_is_used_and_agency_codes_are_safe_file_names(runner, tmp_path):
    factories.demo_wave(responses=60)
    folder = tmp_path / "empty"
    folder.mkdir()
    assert export(runner, tmp_path, "parquet", folder).exit_code == 0
    assert len(list(folder.iterdir())) >= 2
    from app.review.exchange import parquet_name

    assert parquet_name("A01") == "A01.parquet"
    assert parquet_name("../x") == "%2E.%2Fx.parquet"
