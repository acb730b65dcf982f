"""A wave's responses as one wide table, the respondent table (one row per response), read from the
database when an export asks for it (figures come from the roll-ups, app.results.rollup)."""
from __future__ import annotations

import io
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.collect import store as coded  # the coded strings' decoder: with the row recipe
from app.extensions import db
from app.models import Agency, Block, Invitation, Response, Wave
from app.programme.questionnaires import questionnaire_of
from app.results import design, funnel
from app.results.rollup import INVITED_BY

META = ["response_id", "agency", "block", "channel", "language", "submitted_on", "weight"]
# per-case waves: the unit that processed the dossier, when not the receiving one (``agency``)
PER_CASE_META = [*META, "processing_unit"]


def meta_columns(questionnaire) -> list[str]:
    """The columns before the questions in an export of this questionnaire's responses."""
    return PER_CASE_META if questionnaire.definition.kind == "per_case" else META


COLUMNS = ["response_id", "agency", "block", "channel", "language", "submitted_on", "stratum", "excluded",
           "exclusion_reason", "processing_unit"]


def _responses(wave: Wave, include_excluded: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The wave's responses (COLUMNS) and a (1 + k) × n float array: row 0 left for the caller
    (the design weight), then one row per closed question, the responses in the same order."""
    width = len(questionnaire_of(wave.survey_version).coded_questions)
    processing = aliased(Agency)
    invited = [Invitation.channel] if wave.estimation.nonresponse else []
    query = (select(Response.id, Agency.code, Block.code, Response.channel, Response.language,
                    Response.submitted_on, Response.stratum, Response.excluded, Response.exclusion_reason,
                    processing.code, Response.coded, *invited)
             .join(Agency, Agency.id == Response.agency_id).join(Block, Block.id == Agency.block_id)
             .outerjoin(processing, processing.id == Response.processing_agency_id)
             .where(Response.wave_id == wave.id).order_by(Response.id))
    if invited:  # nonresponse adjustment: the channel of each response's invitation (none: NULL)
        query = query.outerjoin(Invitation, Invitation.id == Response.invitation_id)
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    data = pd.DataFrame(_fetch_raw(query), columns=[*COLUMNS, "coded", *(INVITED_BY for _c in invited)])
    values = np.empty((1 + width, len(data)))
    coded.decode(data.pop("coded").fillna("").tolist(), width, by_column=True, out=values[1:])
    data["stratum"] = data["stratum"].fillna("")
    data["excluded"] = data["excluded"].astype(bool)
    data["submitted_on"] = pd.to_datetime(data["submitted_on"])  # SQLite's driver gives text
    return data, values


# Question types whose answers are numbers in the wide table; the others are text.
NUMERIC_TYPES = {"scale", "single", "yes_no", "number"}
BASE = {*COLUMNS, "weight", "stratum_key"}


def wanted_codes(wave: Wave, codes: Sequence[str] | None) -> list[str]:
    """The question codes asked for, in order, once each (all of the questionnaire's when None)."""
    questionnaire = questionnaire_of(wave.survey_version)
    return list(dict.fromkeys([q.code for q in questionnaire.questions] if codes is None else codes))


def load(wave: Wave, include_excluded: bool) -> pd.DataFrame:
    """The wave's base table: COLUMNS, the design weight, `stratum_key` (agency|stratum, the
    design's strata) and every closed question (one numpy decode of the coded strings). Kept
    consolidated (one block per dtype), so that handing a caller its own copy of some columns is
    one take, not a re-stacking of a million rows."""
    data, numbers = _responses(wave, include_excluded)
    kept = ~data["excluded"].astype(bool).to_numpy()
    weight = numbers[0]  # the row _responses leaves for it
    if kept.all():
        weight[:] = design.design_weights(wave, data)
    else:
        weight[:] = np.nan
        weight[kept] = design.design_weights(wave, data[kept])
    data["stratum_key"] = design.stratum_keys(data)
    if INVITED_BY in data.columns:  # the figures' weights: × issued_c / completed_c (app.results.rolled)
        from analysis.nonresponse import adjust  # analysis: only waves adjusting for nonresponse need it

        invited_by = data.pop(INVITED_BY).fillna("").astype(str)
        factor = funnel.cell_factors(wave, data["agency"][kept], invited_by[kept], np.ones(int(kept.sum())))
        weight[kept] = adjust(weight[kept], np.ones(int(kept.sum())), data["stratum_key"][kept].tolist(), factor)
    closed = questionnaire_of(wave.survey_version).coded_questions
    # One float block (weight + the closed questions), one row per column as pandas keeps it, so
    # that each column is contiguous in memory and no re-stacking happens afterwards.
    floats = pd.DataFrame(numbers.T, columns=["weight", *closed], index=data.index, copy=False)
    return pd.concat([data, floats], axis=1, copy=False)


def widen(full: pd.DataFrame, wave: Wave, codes: list[str], include_excluded: bool) -> pd.DataFrame:
    """``full`` with the questions of ``codes`` it lacks read from the answer documents (in SQL);
    ``full`` itself when it has them all."""
    questionnaire = questionnaire_of(wave.survey_version)
    known = {q.code for q in questionnaire.questions}
    missing = [c for c in codes if c in known and c not in full.columns]
    if not missing:
        return full
    extra = _read_columns(full, wave, questionnaire, missing, include_excluded)
    return pd.concat([full, pd.DataFrame(extra, index=full.index)], axis=1).copy()


def pick(full: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """The base columns and one column per code asked for (NaN for a code the questionnaire does
    not have), as the caller's own copy."""
    base = [c for c in full.columns if c in BASE]
    return full.reindex(columns=[*base, *codes])


def respondents(wave: Wave, codes: Sequence[str] | None = None, *, include_excluded: bool = False) -> pd.DataFrame:
    """One row per response, read from the database now: base columns, then one column per
    question code asked for. Exports use it: they hold every response acknowledged before they
    were asked for, where the pages' roll-ups may lag new responses by up to
    RESULTS_REFRESH_SECONDS."""
    wanted = wanted_codes(wave, codes)
    return pick(widen(load(wave, include_excluded), wave, wanted, include_excluded), wanted)


def _read_columns(base: pd.DataFrame, wave: Wave, questionnaire, codes: list[str],
                  include_excluded: bool) -> dict[str, np.ndarray]:
    """Read some questions of every response from the answer documents (as text, in SQL)."""
    query = select(Response.id, *(Response.answers[c].as_string() for c in codes)).where(Response.wave_id == wave.id)
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    read = _read(query, ["response_id", *codes]).set_index("response_id")
    read = read.reindex(base["response_id"].to_numpy())
    out = {}
    for code in codes:
        column = read[code]
        kind = questionnaire.question(code).type
        if kind in NUMERIC_TYPES:
            out[code] = pd.to_numeric(column.where(column != "na"), errors="coerce").to_numpy(dtype=float)
        else:
            if kind == "multiple":
                column = column.map(_joined, na_action="ignore")
            out[code] = column.where(column.notna() & (column != "na"), None).to_numpy(dtype=object)
    return out


def _joined(value) -> str:
    """A multiple-choice answer as one cell: "1 3" (read as JSON text '[1, 3]' or a list)."""
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else value.split()
    return " ".join(str(v) for v in value)


def _read(query, columns: list[str]) -> pd.DataFrame:
    """A query's rows as a DataFrame. On PostgreSQL through COPY … TO STDOUT (CSV) and pandas'
    C parser: for a million responses several times faster than building a tuple per row. Columns
    other than the first (an integer id) come back as text (PostgreSQL) or native values, NULL as
    NaN or None."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return pd.DataFrame(_fetch_raw(query), columns=columns)
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    buffer = io.BytesIO()
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                buffer.write(chunk)
    finally:
        cursor.close()
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame(columns=columns)
    data = pd.read_csv(buffer, names=columns, header=None, dtype=str, keep_default_na=False, na_values=[""])
    data[columns[0]] = data[columns[0]].astype(int)
    return data


def _fetch_raw(query) -> list[tuple]:
    """Plain tuples from the driver: a wave has up to millions of answers, and building a
    SQLAlchemy Row for each costs more than reading them."""
    connection = db.session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(compiled))
        return cursor.fetchall()
    finally:
        cursor.close()
