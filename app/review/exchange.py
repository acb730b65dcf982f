"""Export a wave's responses (CSV, Excel, SPSS) and import the same shape, all rows or none."""
from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
from flask import has_request_context
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from app.collect import store
from app.collect.page_view import message_for
from app.extensions import db
from app.models import Agency, Response, Wave
from app.models.wave import CHANNELS
from app.programme.questionnaires import questionnaire_of
from app.results.table import meta_columns, respondents
from app.review import savfile
from app.shared import cells
from app.shared.csvio import ImportRejected, RowError, read_rows
from survey_definitions import NOT_APPLICABLE, Questionnaire, clean_answers, visible_questions
from survey_definitions.questiontypes import offers_not_applicable

FORMATS = ("csv", "xlsx", "sav")
DATASETS = ("parquet",)  # written as a folder of files (the command line's export only)


def exported_codes(questionnaire: Questionnaire) -> list[str]:
    # Dossier codes are stored only as keyed digests: nothing useful (or safe) to export.
    return [q.code for q in questionnaire.questions if q.type != "dossier_code"]


def export_table(wave: Wave) -> pd.DataFrame:
    questionnaire = questionnaire_of(wave.survey_version)
    codes = exported_codes(questionnaire)
    table = respondents(wave, codes)  # complete as of now, not as of the pages' last refresh
    out = table[meta_columns(questionnaire) + codes].copy()
    out["submitted_on"] = pd.to_datetime(out["submitted_on"]).dt.strftime("%Y-%m-%d")
    out["weight"] = out["weight"].round(6)
    for code in codes:
        column = out[code]
        if column.dtype.kind == "f" and column.dropna().apply(float.is_integer).all():
            out[code] = column.astype("Int64")
    return out


def export_bytes(wave: Wave, fmt: str) -> bytes:
    return export_file(wave, fmt)[0]


Progress = Callable[[int, int], None]  # (rows written, rows in all)


def xlsx_bytes(table: pd.DataFrame, title: str, progress: Progress | None = None) -> bytes:
    """One sheet, streamed (openpyxl's write-only mode): text as string cells (never formulas),
    numbers as numbers, blanks empty.

    Only text that a spreadsheet would read as a formula gets a cell object of its own (a string
    cell with Excel's quote prefix); every other value goes to openpyxl as it is, which binds
    numbers as numbers and text as text. A cell object for each of a million values (blanks too)
    cost two thirds of the time."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([cells.xlsx_cell(sheet, str(c)) for c in table.columns])
    total, step = len(table), max(1, len(table) // 20)
    text_columns = [i for i, c in enumerate(table.columns) if table[c].dtype == object]
    for done, record in enumerate(table.astype(object).itertuples(index=False, name=None), start=1):
        row = [_plain(v) for v in record]
        for i in text_columns:
            if isinstance(row[i], str) and cells.is_risky(row[i]):
                row[i] = cells.xlsx_cell(sheet, row[i])
        sheet.append(row)
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain(value):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def export_file(wave: Wave, fmt: str, progress: Progress | None = None) -> tuple[bytes, list[str]]:
    """The export and its warnings (SPSS labels shortened to fit the format). ``progress`` is
    called as Excel rows are written (the slow format: CSV and SPSS take well under a second)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    table = export_table(wave)
    if fmt == "csv":
        return cells.escape_table_text(table).to_csv(**cells.CSV_OPTIONS).encode("utf-8"), []
    if fmt == "xlsx":
        return xlsx_bytes(table, "responses", progress), []
    questionnaire = questionnaire_of(wave.survey_version)
    data, cuts = savfile.sav_bytes(questionnaire, table, not_applicable(wave, table))
    return data, [str(c) for c in cuts]


def parquet_name(code: str) -> str:
    """A file name for an agency's part: the code itself when it is a safe name, else escaped."""
    safe = quote(code, safe="")
    return (safe if not safe.startswith(".") else "%2E" + safe[1:]) + ".parquet"


def write_parquet(wave: Wave, directory: str) -> list[str]:
    """The export as a Parquet dataset: one file per agency, ``directory/<agency>.parquet``, with
    the CSV export's columns and values (numbers as numbers, text as text, blanks as nulls; text
    is not escaped, a Parquet file is never opened as a spreadsheet) and one schema for all files,
    so that ``python -m analysis rates --input 'DIR/*.parquet'`` reads them as one table.
    Returns the paths written (none for a wave without responses)."""
    import pyarrow as pa  # heavy: only for the Parquet export
    import pyarrow.parquet as pq  # heavy: as above

    table = export_table(wave)
    schema = pa.schema([
        pa.field(name, pa.string() if pd.api.types.is_object_dtype(table[name])
                 else pa.int64() if pd.api.types.is_integer_dtype(table[name]) else pa.float64())
        for name in table.columns
    ])
    paths = []
    for code, part in table.groupby("agency", sort=True):
        path = os.path.join(directory, parquet_name(str(code)))
        pq.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False), path)
        paths.append(path)
    return paths


def not_applicable(wave: Wave, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per closed question, which of the table's responses answered "not applicable" (the export
    table has both that and "not shown" as blanks; the coded strings tell them apart)."""
    codes = questionnaire_of(wave.survey_version).coded_questions
    rows = dict(db.session.execute(select(Response.id, Response.coded).where(Response.wave_id == wave.id)).all())
    strings = [(rows.get(int(i)) or "").ljust(len(codes)) for i in table["response_id"]]
    if not strings:
        return {}
    marks = np.frombuffer("".join(s[:len(codes)] for s in strings).encode("utf-32-le"), dtype="<u4")
    marks = marks.reshape(len(strings), len(codes)) == ord(store.CODED_NOT_APPLICABLE)
    return {code: marks[:, i] for i, code in enumerate(codes) if marks[:, i].any()}


def xlsx_to_csv(data: bytes) -> str:
    """The first sheet of a workbook as CSV text, so that imports name the same lines and columns."""
    try:
        table = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (ValueError, OSError, KeyError) as exc:
        raise ImportRejected([RowError(1, None, _("not a readable Excel workbook (%(exc)s)",
                                                  exc=exc))]) from exc
    # escaped as our CSV exports are, so that read_rows' unescape gives back each cell as it was
    return cells.escape_table_text(table).to_csv(**cells.CSV_OPTIONS)


def _raw_answers(questionnaire: Questionnaire, row: dict[str, str], codes: list[str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for code in codes:
        value = row.get(code, "")
        if value == "":
            continue
        question = questionnaire.question(code)
        raw[code] = value.split() if question.type == "multiple" else value
    # A blank under a shown scale that offers "not applicable" is exactly that answer.
    cleaned, _unused = clean_answers(questionnaire, raw, on_hidden="drop")
    scales = questionnaire.scales
    for code in visible_questions(questionnaire, cleaned):
        question = questionnaire.question(code)
        if code in codes and code not in raw and offers_not_applicable(question, scales):
            raw[code] = NOT_APPLICABLE
    return raw


def _field_message(error) -> str:
    # On a page, the answer checks' own translated sentence; on the command line, the detailed English one.
    return message_for(error) if has_request_context() else error.message


def _meta(line: int, row: dict[str, str], wave: Wave, scope: dict[str, Any]) -> tuple[dict, list[RowError]]:
    errors = []
    agency = scope.get(row.get("agency", ""))
    if agency is None:
        errors.append(RowError(line, "agency", _("'%(value)s' is not an agency of wave %(slug)s",
                                                 value=row.get('agency', ''), slug=wave.slug)))
    channel = row.get("channel") or "paper"
    if channel not in CHANNELS:
        errors.append(RowError(line, "channel", _("expected one of %(items)s", items=', '.join(CHANNELS))))
    language = row.get("language") or "vi"
    if language not in ("vi", "en"):
        errors.append(RowError(line, "language", _("expected vi or en")))
    submitted = None
    if row.get("submitted_on"):
        try:
            submitted = date.fromisoformat(row["submitted_on"])
        except ValueError:
            errors.append(RowError(line, "submitted_on", _("expected a date as YYYY-MM-DD")))
    return dict(agency=agency, channel=channel, language=language, submitted_on=submitted), errors


def import_csv(wave: Wave, data: bytes | str) -> int:
    """Store every row of an export-shaped CSV as a response; reject the file if any row is bad."""
    questionnaire = questionnaire_of(wave.survey_version)
    codes = exported_codes(questionnaire)
    header, rows = read_rows(data, required=("agency",))
    allowed = set(meta_columns(questionnaire)) | set(codes)
    errors = [RowError(1, c, _("unknown column (not a question of this questionnaire)"))
              for c in header if c not in allowed]
    scope = {a.code: a for a in wave.agencies}
    units = {a.code: a for a in db.session.scalars(select(Agency))} if "processing_unit" in header else {}
    parsed = []
    for line, row in rows:
        if "__extra__" in row:
            errors.append(RowError(line, None, _("more values than columns")))
            continue
        meta, meta_errors = _meta(line, row, wave, scope)
        if row.get("processing_unit"):
            meta["processing"] = units.get(row["processing_unit"])
            if meta["processing"] is None:
                meta_errors.append(RowError(line, "processing_unit", _("'%(value)s' is not an agency code",
                                                                       value=row["processing_unit"])))
        cleaned, field_errors = clean_answers(questionnaire, _raw_answers(questionnaire, row, codes))
        errors += meta_errors + [RowError(line, e.field, _field_message(e)) for e in field_errors]
        parsed.append((meta, cleaned))
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected([RowError(2, None, _("the file has no response rows"))])
    for meta, cleaned in parsed:
        store.store(wave, meta.pop("agency"), cleaned, **meta)
    wave.mark_data_changed()
    db.session.flush()
    return len(parsed)

