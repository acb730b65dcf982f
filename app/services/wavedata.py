"""A wave's responses as one wide table (one row per response)."""
from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, Block, FrameCount, Response, Wave
from app.services import ratings
from app.services.surveys import questionnaire_of

META = ["response_id", "agency", "block", "channel", "language", "submitted_on", "weight"]


def _responses(wave: Wave, include_excluded: bool) -> tuple[pd.DataFrame, list[str]]:
    """The wave's responses without their answers, and their ratings strings (same order)."""
    query = (select(Response.id.label("response_id"), Agency.code.label("agency"),
                    Block.code.label("block"), Response.channel, Response.language,
                    Response.submitted_on, Response.stratum, Response.excluded,
                    Response.exclusion_reason, Response.ratings)
             .join(Agency, Agency.id == Response.agency_id).join(Block, Block.id == Agency.block_id)
             .where(Response.wave_id == wave.id).order_by(Response.id))
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    frame = pd.DataFrame(_fetch_raw(query), columns=["response_id", "agency", "block", "channel", "language",
                                                     "submitted_on", "stratum", "excluded", "exclusion_reason",
                                                     "ratings"])
    strings = frame.pop("ratings").tolist()
    frame["excluded"] = frame["excluded"].astype(bool)
    frame["submitted_on"] = pd.to_datetime(frame["submitted_on"])  # SQLite's driver gives text
    return frame, strings


def design_weights(wave: Wave, frame: pd.DataFrame) -> np.ndarray:
    """N_h / n_h with h = agency (× frame stratum where counts are finer); 1 where no count."""
    counts = db.session.execute(select(Agency.code, FrameCount.stratum, FrameCount.transactions)
                                .join(Agency, Agency.id == FrameCount.agency_id)
                                .where(FrameCount.wave_id == wave.id)).all()
    if not counts or frame.empty:
        return np.ones(len(frame))
    fine = {(a, s): n for a, s, n in counts if s}
    coarse = {a: n for a, s, n in counts if not s}
    keys = [(a, s) if (a, s) in fine else (a, "") for a, s in zip(frame["agency"], frame["stratum"], strict=True)]
    sizes = pd.Series(keys).map(pd.Series(keys).value_counts())
    totals = [fine.get(k) if k[1] else coarse.get(k[0]) for k in keys]
    return np.array([t / n if t else 1.0 for t, n in zip(totals, sizes, strict=True)], dtype=float)


_frames: dict[tuple, pd.DataFrame] = {}

# Question types whose answers are numbers in the wide table; the others are text.
NUMERIC_TYPES = {"scale", "single", "yes_no", "number"}


def wave_frame(wave: Wave, codes: Sequence[str] | None = None, *,
               include_excluded: bool = False) -> pd.DataFrame:
    """One row per response: META columns, `stratum`, then one column per question code asked for
    (all of the questionnaire's codes when None).

    Read once per data version and shared by every estimate, filter and export of a wave: the rated
    items come from each response's ratings string (one numpy decode for the whole wave), other
    questions are read from the answer documents in SQL the first time someone asks for them.
    Callers get their own copy of the columns they ask for.
    """
    key = (wave.id, data_version(wave), include_excluded)
    full = _frames.get(key)
    if full is None:
        if len(_frames) > 8:
            _frames.clear()
        full = _frames[key] = _load(wave, include_excluded)
    questionnaire = questionnaire_of(wave.survey_version)
    wanted = [q.code for q in questionnaire.questions] if codes is None else list(codes)
    known = {q.code for q in questionnaire.questions}
    missing = [c for c in dict.fromkeys(wanted) if c not in full.columns and c in known]
    if missing:
        _add_columns(full, wave, questionnaire, missing, include_excluded)
    base = [c for c in full.columns if c in _BASE]
    return full.reindex(columns=[*base, *wanted]).copy()


_BASE = {"response_id", "agency", "block", "channel", "language", "submitted_on", "stratum",
         "excluded", "exclusion_reason", "weight"}


def _load(wave: Wave, include_excluded: bool) -> pd.DataFrame:
    frame, strings = _responses(wave, include_excluded)
    kept = ~frame["excluded"].astype(bool)
    frame["weight"] = np.nan
    frame.loc[kept, "weight"] = design_weights(wave, frame[kept])
    items = questionnaire_of(wave.survey_version).rated_items
    points = ratings.decode(strings, len(items))
    for index, code in enumerate(items):
        frame[code] = points[:, index]
    return frame


def _add_columns(frame: pd.DataFrame, wave: Wave, questionnaire, codes: list[str], include_excluded: bool) -> None:
    """Read some questions of every response from the answer documents (as text, in SQL)."""
    query = select(Response.id, *(Response.answers[c].as_string() for c in codes)).where(Response.wave_id == wave.id)
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    read = pd.DataFrame(_fetch_raw(query), columns=["response_id", *codes]).set_index("response_id")
    read = read.reindex(frame["response_id"].to_numpy())
    for code in codes:
        column = read[code]
        kind = questionnaire.question(code).type
        if kind in NUMERIC_TYPES:
            frame[code] = pd.to_numeric(column.where(column != "na"), errors="coerce").to_numpy(dtype=float)
        else:
            if kind == "multiple":
                column = column.map(_joined, na_action="ignore")
            frame[code] = column.where(column.notna() & (column != "na"), None).to_numpy(dtype=object)


def _joined(value) -> str:
    """A multiple-choice answer as one cell: "1 3" (read as JSON text '[1, 3]' or a list)."""
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else value.split()
    return " ".join(str(v) for v in value)


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
    """Changes whenever the wave's usable data changes: a cache key for computed results."""
    count, last = db.session.execute(select(func.count(Response.id), func.max(Response.id))
                                     .where(Response.wave_id == wave.id)).one()
    return wave.data_version, count or 0, last or 0
