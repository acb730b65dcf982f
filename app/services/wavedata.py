"""A wave's responses as one wide table (one row per response), built from long-format answers."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, Answer, Block, FrameCount, Response, Wave

META = ["response_id", "agency", "block", "channel", "language", "submitted_on", "weight"]


def _responses(wave: Wave, include_excluded: bool) -> pd.DataFrame:
    query = (select(Response.id.label("response_id"), Agency.code.label("agency"),
                    Block.code.label("block"), Response.channel, Response.language,
                    Response.submitted_on, Response.stratum, Response.excluded,
                    Response.exclusion_reason)
             .join(Agency, Agency.id == Response.agency_id).join(Block, Block.id == Agency.block_id)
             .where(Response.wave_id == wave.id).order_by(Response.id))
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    rows = db.session.execute(query).all()
    return pd.DataFrame(rows, columns=["response_id", "agency", "block", "channel", "language",
                                       "submitted_on", "stratum", "excluded", "exclusion_reason"])


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


def wave_frame(wave: Wave, codes: Sequence[str] | None = None, *,
               include_excluded: bool = False) -> pd.DataFrame:
    """One row per response: META columns, `stratum`, then one column per question code.

    The whole table is read once per data version (every estimate, filter and export of a wave
    shares it); callers get their own copy of the columns they ask for.
    """
    key = (wave.id, data_version(wave), include_excluded)
    full = _frames.get(key)
    if full is None:
        if len(_frames) > 8:
            _frames.clear()
        full = _frames[key] = _load(wave, include_excluded)
    base = [c for c in full.columns if c in _BASE]
    if codes is None:
        return full.copy()
    return full.reindex(columns=[*base, *codes]).copy()


_BASE = {"response_id", "agency", "block", "channel", "language", "submitted_on", "stratum",
         "excluded", "exclusion_reason", "weight"}


def _load(wave: Wave, include_excluded: bool) -> pd.DataFrame:
    frame = _responses(wave, include_excluded)
    kept = ~frame["excluded"].astype(bool)
    frame["weight"] = np.nan
    frame.loc[kept, "weight"] = design_weights(wave, frame[kept])
    query = (select(Answer.response_id, Answer.question_code, Answer.value, Answer.text)
             .join(Response, Response.id == Answer.response_id).where(Response.wave_id == wave.id))
    if not include_excluded:
        query = query.where(Response.excluded.is_(False))
    long = pd.DataFrame(_fetch_raw(query), columns=["response_id", "code", "value", "text"])
    if not long.empty:
        numeric = long[long["value"].notna()].pivot(index="response_id", columns="code", values="value")
        texts = long[long["text"].notna()].pivot(index="response_id", columns="code", values="text")
        index = frame.set_index("response_id").index
        for code in sorted(long["code"].unique()):
            if code in texts.columns:
                frame[code] = texts[code].reindex(index).to_numpy(dtype=object)
            elif code in numeric.columns:
                frame[code] = numeric[code].reindex(index).to_numpy()
            else:
                frame[code] = np.nan
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
    """Changes whenever the wave's usable data changes: a cache key for computed results."""
    count, last = db.session.execute(select(func.count(Response.id), func.max(Response.id))
                                     .where(Response.wave_id == wave.id)).one()
    return wave.data_version, count or 0, last or 0
