"""A wave's responses as one wide table (one row per response)."""
from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import func, select, text

from app.collect import store as coded  # the coded strings' decoder: with the row recipe
from app.extensions import db
from app.models import Agency, Block, FrameCount, Response, Wave
from app.models.wave import CHANNELS
from app.programme.questionnaires import questionnaire_of
from app.results import heavy

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
    frame = pd.DataFrame(_fetch_raw(query), columns=[*COLUMNS, "coded"])
    values = np.empty((1 + width, len(frame)))
    coded.decode(frame.pop("coded").fillna("").tolist(), width, by_column=True, out=values[1:])
    frame["stratum"] = frame["stratum"].fillna("")
    frame["excluded"] = frame["excluded"].astype(bool)
    frame["submitted_on"] = pd.to_datetime(frame["submitted_on"])  # SQLite's driver gives text
    return frame, values


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
    frame = pd.DataFrame({
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
    if frame["excluded"].any():
        reasons = dict(db.session.execute(select(Response.id, Response.exclusion_reason)
                                          .where(Response.wave_id == wave.id, Response.excluded.is_(True))).all())
        reason = frame["response_id"].map(reasons).astype(object)
        frame["exclusion_reason"] = reason.where(reason.notna(), None)
    joined = "".join(s[8] for s in slices)
    if len(joined) != count * width:  # a coded string of another length (not expected: versions are immutable)
        return None
    values = np.empty((1 + width, int(count)))
    coded.decode_joined(joined, int(count), width, by_column=True, out=values[1:])
    ids = frame["response_id"].to_numpy()
    if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():  # a scan usually returns rows in id order
        order = np.argsort(ids, kind="stable")
        frame, values = frame.iloc[order].reset_index(drop=True), values[:, order]
    return frame, values


def _agency_strata(frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Each response's (agency, stratum) pair as a code into the few distinct pairs: weights and
    strata keys are worked out per pair, not on a million strings."""
    agency, agencies = pd.factorize(frame["agency"].astype(str))
    stratum, strata = pd.factorize(frame["stratum"].fillna("").astype(str))
    width = max(len(strata), 1)
    pair, pairs = pd.factorize(agency * width + stratum)
    return pair, [(agencies[p // width], strata[p % width]) for p in pairs]


def design_weights(wave: Wave, frame: pd.DataFrame) -> np.ndarray:
    """N_h / n_h with h = agency (× frame stratum where counts are finer); 1 where no count."""
    counts = db.session.execute(select(Agency.code, FrameCount.stratum, FrameCount.transactions)
                                .join(Agency, Agency.id == FrameCount.agency_id)
                                .where(FrameCount.wave_id == wave.id)).all()
    if not counts or frame.empty:
        return np.ones(len(frame))
    totals = {(a, s): n for a, s, n in counts}
    pair, pairs = _agency_strata(frame)
    groups: dict[tuple[str, str], int] = {}  # h: (agency, stratum) where counted that finely, else (agency, "")
    group_of_pair = np.array([groups.setdefault((a, s) if s != "" and (a, s) in totals else (a, ""), len(groups))
                              for a, s in pairs])
    group = group_of_pair[pair]
    sizes = np.bincount(group, minlength=len(groups)).astype(float)
    population = np.array([totals.get(h, np.nan) for h in groups], dtype=float)
    return np.where(np.isnan(population) | (population == 0), 1.0, population / sizes)[group]


_frames = heavy.LRU(8)  # never emptied whole: a request for an old wave evicts only the oldest table

# Question types whose answers are numbers in the wide table; the others are text.
NUMERIC_TYPES = {"scale", "single", "yes_no", "number"}


def wave_frame(wave: Wave, codes: Sequence[str] | None = None, *,
               include_excluded: bool = False, fresh: bool = False) -> pd.DataFrame:
    """One row per response: META columns, `stratum`, `stratum_key` (agency|stratum, the design's
    strata), then one column per question code asked for (all of the questionnaire's codes when
    None; NaN for a code the questionnaire does not have).

    Read once per data version and shared by every estimate, filter and export of a wave: the
    closed questions come from each response's coded string (one numpy decode for the wave), other
    questions are read from the answer documents in SQL the first time someone asks for them. The
    cached table is kept consolidated (one block per dtype), so that handing a caller its own copy
    of some columns is one take, not a re-stacking of a million rows.

    ``fresh`` (exports): read the database now, past the shared table, which may lag new
    responses by up to RESULTS_REFRESH_SECONDS; an export holds every response acknowledged
    before it was asked for. The table read is the export's own (the shared one is kept for pages).
    """
    key = None if fresh else (wave.id, data_version(wave), include_excluded)
    full = _load(wave, include_excluded) if fresh else _frames.get(key)
    if full is None:
        full = _load(wave, include_excluded)
        # A million-response table is hundreds of MB: keep the newest two versions of a wave (the
        # one pages show and the one a refresh computes) and a few waves in all.
        same = [k for k in _frames if k[0] == wave.id and k[2] == include_excluded]
        for old in same[:-1]:
            _frames.pop(old, None)
        _frames[key] = full  # (the least recently used wave's table goes when more than 8 are kept)
    questionnaire = questionnaire_of(wave.survey_version)
    wanted = list(dict.fromkeys([q.code for q in questionnaire.questions] if codes is None else codes))
    known = {q.code for q in questionnaire.questions}
    missing = [c for c in wanted if c in known and c not in full.columns]
    if missing:
        extra = _read_columns(full, wave, questionnaire, missing, include_excluded)
        full = pd.concat([full, pd.DataFrame(extra, index=full.index)], axis=1).copy()
        if key is not None and key in _frames:
            _frames[key] = full
    base = [c for c in full.columns if c in BASE]
    return full.reindex(columns=[*base, *wanted])


BASE = {*COLUMNS, "weight", "stratum_key"}


def _load(wave: Wave, include_excluded: bool) -> pd.DataFrame:
    frame, numbers = _responses(wave, include_excluded)
    kept = ~frame["excluded"].astype(bool).to_numpy()
    weight = numbers[0]  # the row _responses leaves for it
    if kept.all():
        weight[:] = design_weights(wave, frame)
    else:
        weight[:] = np.nan
        weight[kept] = design_weights(wave, frame[kept])
    frame["stratum_key"] = stratum_keys(frame)
    closed = questionnaire_of(wave.survey_version).coded_questions
    # One float block (weight + the closed questions), one row per column as pandas keeps it, so
    # that each column is contiguous in memory and no re-stacking happens afterwards.
    floats = pd.DataFrame(numbers.T, columns=["weight", *closed], index=frame.index, copy=False)
    return pd.concat([frame, floats], axis=1, copy=False)


def stratum_keys(frame: pd.DataFrame) -> np.ndarray:
    """The design's strata, "agency|stratum" per response (what estimates pass to analysis as
    `strata`)."""
    pair, pairs = _agency_strata(frame)
    return np.array([f"{a}|{s}" for a, s in pairs] + [""], dtype=object)[pair]


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
    frame = pd.read_csv(buffer, names=columns, header=None, dtype=str, keep_default_na=False, na_values=[""])
    frame[columns[0]] = frame[columns[0]].astype(int)
    return frame


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


def data_version(wave: Wave) -> tuple[int, int, int]:
    """Changes whenever the wave's usable data changes: a cache key for computed results.

    Everything an administrator changes (exclusions, frame counts, imports) bumps
    wave.data_version, and figures are recomputed at once. New responses are counted (count and
    last id, which also catches a lower id committed late) at most RESULTS_REFRESH_SECONDS late;
    while a wave collects they change the version every few seconds, and a million-response wave
    takes seconds to recompute. So when only new responses differ, pages keep the version whose
    figures are computed while one background thread computes the next one (`_refresh`); the
    version moves on when it is done. With RESULTS_REFRESH_SECONDS = 0 (tests) every view uses
    the live version."""
    pinned = getattr(_pinned, "versions", {}).get(wave.id)
    if pinned is not None:  # the background refresh computes exactly the version it was started for
        return pinned
    live = _live_version(wave)
    if current_app.config["RESULTS_REFRESH_SECONDS"] <= 0:
        return live
    ready = current_app.extensions.setdefault("sipas_ready_versions", {})
    shown = ready.get(wave.id)
    if shown is None or shown[0] != live[0]:  # first view, or an administrator's change: now
        ready[wave.id] = shown = live
    elif shown != live:
        _start_refresh(wave.id, live)
    return shown


def _live_version(wave: Wave) -> tuple[int, int, int]:
    seconds = current_app.config["RESULTS_REFRESH_SECONDS"]
    counted = current_app.extensions.setdefault("sipas_response_counts", {})
    now = time.monotonic()
    seen = counted.get(wave.id)
    if seen is None or now - seen[0] >= seconds:
        # Two statements, so that each has its cheap plan: count(*) from the (wave, agency) index
        # alone, max(id) from the end of the primary key. Together they would scan the table.
        of_wave = Response.wave_id == wave.id
        count, last = db.session.execute(select(select(func.count()).select_from(Response).where(of_wave)
                                                .scalar_subquery(),
                                                select(func.max(Response.id)).where(of_wave).scalar_subquery())).one()
        counted[wave.id] = seen = (now, count or 0, last or 0)
    return wave.data_version, seen[1], seen[2]


_pinned = threading.local()
_refresh_lock = threading.Lock()


def _start_refresh(wave_id: int, version: tuple) -> None:
    """Compute the wave's figures for `version` in a background thread (one per wave at a time)."""
    app = current_app._get_current_object()
    running = app.extensions.setdefault("sipas_refreshes", {})
    with _refresh_lock:
        thread = running.get(wave_id)
        if thread is not None and thread.is_alive():
            return
        thread = running[wave_id] = threading.Thread(target=_refresh, args=(app, wave_id, version),
                                                     name=f"sipas-refresh-{wave_id}", daemon=True)
        thread.start()


def _refresh(app, wave_id: int, version: tuple) -> None:
    from app.reports import pages

    with app.app_context():
        _pinned.versions = {wave_id: version}
        try:
            wave = db.session.get(Wave, wave_id)
            if wave is not None:
                pages.warm(wave)
            ready = app.extensions.setdefault("sipas_ready_versions", {})
            if ready.get(wave_id, version)[0] == version[0]:  # unless an administrator changed it meanwhile
                ready[wave_id] = version
        except Exception:  # the pages go on showing the last computed figures
            app.logger.exception("background refresh of wave %s failed", wave_id)
        finally:
            _pinned.versions = {}
            db.session.remove()


def wait_for_refresh(wave: Wave, timeout: float = 120.0) -> None:
    """Wait for the wave's background refresh, if one is running (tests, the benchmark)."""
    thread = current_app.extensions.get("sipas_refreshes", {}).get(wave.id)
    if thread is not None:
        thread.join(timeout)
