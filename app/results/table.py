"""A wave's responses as one wide table, the respondent table (one row per response): read from
the database, never cached here (results.snapshot keeps it per data version)."""
from __future__ import annotations

import io
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select, text

from app.collect import store as coded  # the coded strings' decoder: with the row recipe
from app.extensions import db
from app.models import Agency, Block, Response, Wave
from app.models.wave import CHANNELS
from app.programme.questionnaires import questionnaire_of
from app.results import design

META = ["response_id", "agency", "block", "channel", "language", "submitted_on", "weight"]


COLUMNS = ["response_id", "agency", "block", "channel", "language", "submitted_on", "stratum", "excluded",
           "exclusion_reason"]


def _responses(wave: Wave, include_excluded: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """The wave's responses (COLUMNS) and a (1 + k) × n float array: row 0 left for the caller
    (the design weight), then one row per closed question, the responses in the same order."""
    width = len(questionnaire_of(wave.survey_version).coded_questions)
    if db.session.get_bind().dialect.name == "postgresql":
        read = _responses_columnar(wave, include_excluded, width)
        if read is not None:
            return read
    query = (select(Response.id, Agency.code, Block.code, Response.channel, Response.language,
                    Response.submitted_on, Response.stratum, Response.excluded, Response.exclusion_reason,
                    Response.coded)
             .join(Agency, Agency.id == Response.agency_id).join(Block, Block.id == Agency.block_id)
             .where(Response.wave_id == wave.id).order_by(Response.id))
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    data = pd.DataFrame(_fetch_raw(query), columns=[*COLUMNS, "coded"])
    values = np.empty((1 + width, len(data)))
    coded.decode(data.pop("coded").fillna("").tolist(), width, by_column=True, out=values[1:])
    data["stratum"] = data["stratum"].fillna("")
    data["excluded"] = data["excluded"].astype(bool)
    data["submitted_on"] = pd.to_datetime(data["submitted_on"])  # SQLite's driver gives text
    return data, values


_EPOCH = date(2000, 1, 1)
_COLUMNAR = text("""
SELECT count(*),
       string_agg(r.id::text, ','), string_agg(r.agency_id::text, ','),
       string_agg(chr(65 + coalesce(array_position(CAST(:channels AS text[]), r.channel), 0)), ''),
       string_agg(chr(65 + coalesce(array_position(CAST(:languages AS text[]), r.language), 0)), ''),
       string_agg((r.submitted_on - DATE '2000-01-01')::text, ','),
       string_agg(replace(r.stratum, E'\\x1f', ' '), E'\\x1f'), string_agg(r.excluded::int::text, ''),
       string_agg(r.coded, '')
FROM response r
WHERE r.wave_id = :wave AND (:all OR NOT r.excluded) AND r.id > :low AND r.id <= :high
""")
PARTS = 2  # the wave is read in this many id ranges at once, one connection each (string_agg is not parallel)
# Channel and language travel as one letter each ("A" = a value not listed here: the row read then).
KNOWN = {"channels": list(CHANNELS), "languages": ["vi", "en"]}


def _columnar_slice(engine, wave_id: int, include_excluded: bool, bounds: tuple[int, int]) -> tuple:
    with engine.connect() as connection:
        # JIT-compiling nine aggregates costs more than it saves on a read like this one.
        connection.execute(text("SET LOCAL jit = off"))
        return tuple(connection.execute(_COLUMNAR, {"wave": wave_id, "all": include_excluded, **KNOWN,
                                                    "low": bounds[0], "high": bounds[1]}).one())


def _responses_columnar(wave: Wave, include_excluded: bool, width: int) -> tuple[pd.DataFrame, np.ndarray] | None:
    """PostgreSQL: every column of the wave concatenated by string_agg, in PARTS slices read at the
    same time on their own connections, then split by numpy and pandas. Reading a million
    responses this way costs a fraction of building a million row tuples. None (the row-by-row
    read then) if a coded string is not `width` long or a channel or language is not in KNOWN."""
    engine = db.engine
    first, last = db.session.execute(select(func.min(Response.id), func.max(Response.id))
                                     .where(Response.wave_id == wave.id)).one()
    if first is None:
        return pd.DataFrame(columns=COLUMNS), np.empty((1 + width, 0))
    cuts = np.linspace(first - 1, last, PARTS + 1).round().astype(int).tolist()  # id ranges, in order
    with ThreadPoolExecutor(PARTS) as pool:
        slices = list(pool.map(lambda bounds: _columnar_slice(engine, wave.id, include_excluded, bounds),
                               zip(cuts[:-1], cuts[1:], strict=True)))
    slices = [s for s in slices if s[0]]
    if not slices:
        return pd.DataFrame(columns=COLUMNS), np.empty((1 + width, 0))
    count = sum(s[0] for s in slices)

    def numbers(index: int) -> np.ndarray:
        return np.concatenate([np.fromstring(s[index], dtype=np.int64, sep=",") for s in slices])

    def texts(index: int, sep: str = ",") -> np.ndarray:
        return np.array([v for s in slices for v in s[index].split(sep)], dtype=object)

    def letters(index: int, values: list[str]) -> np.ndarray | None:
        codes = np.frombuffer("".join(s[index] for s in slices).encode("ascii"), dtype=np.uint8) - 65
        return None if (codes == 0).any() else np.array([None, *values], dtype=object)[codes]

    channel, language = letters(3, KNOWN["channels"]), letters(4, KNOWN["languages"])
    if channel is None or language is None:
        return None

    agencies = pd.DataFrame(db.session.execute(select(Agency.id, Agency.code, Block.code)
                                               .join(Block, Block.id == Agency.block_id)).all(),
                            columns=["id", "agency", "block"]).set_index("id")
    agency_id = pd.Series(numbers(2))
    data = pd.DataFrame({
        "response_id": numbers(1),
        "agency": agency_id.map(agencies["agency"]).to_numpy(dtype=object),
        "block": agency_id.map(agencies["block"]).to_numpy(dtype=object),
        "channel": channel,
        "language": language,
        "submitted_on": pd.Timestamp(_EPOCH) + pd.to_timedelta(numbers(5), unit="D"),
        "stratum": texts(6, "\x1f"),
        "excluded": np.frombuffer("".join(s[7] for s in slices).encode("ascii"), dtype=np.uint8) == ord("1"),
        "exclusion_reason": None,
    })
    if data["excluded"].any():
        reasons = dict(db.session.execute(select(Response.id, Response.exclusion_reason)
                                          .where(Response.wave_id == wave.id, Response.excluded.is_(True))).all())
        reason = data["response_id"].map(reasons).astype(object)
        data["exclusion_reason"] = reason.where(reason.notna(), None)
    joined = "".join(s[8] for s in slices)
    if len(joined) != count * width:  # a coded string of another length (not expected: versions are immutable)
        return None
    values = np.empty((1 + width, int(count)))
    coded.decode_joined(joined, int(count), width, by_column=True, out=values[1:])
    ids = data["response_id"].to_numpy()
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():  # a scan usually returns rows in id order
        order = np.argsort(ids, kind="stable")
        data, values = data.iloc[order].reset_index(drop=True), values[:, order]
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
    were asked for, where the pages' shared table (results.snapshot) may lag new responses by up
    to RESULTS_REFRESH_SECONDS."""
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
