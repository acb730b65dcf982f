"""Maintaining a wave's roll-ups (app.models.rollup): responses in, cells out.

``update(wave)`` adds the responses the cells do not hold yet (``response.rolled`` false, not
excluded) in batches; ``take_out(response)`` subtracts an excluded response's sums in the
exclusion's own transaction; ``rebuild(wave)`` starts again from the responses (identical cells:
every moment is a count). All three hold the wave's lock (its rollup_state row), so two instances
never add the same response twice; a submission takes no lock and touches no cell.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, insert, not_, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from app.collect import store as coded
from app.models import Agency, Invitation, Response, RollupCell, RollupState, Wave
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from app.results import measures
from app.results.measures import Layout

SEP = "\x1f"
BATCH = 50_000  # responses decoded and summed at a time
# processing_unit: the code of the agency that processed the dossier ("" when none was named)
KEY_PARTS = ("stratum", "channel", "language", "service_field", "processing_unit")
# waves that adjust for nonresponse: the channel of the response's invitation ("" for none), after
# the raking parts (so that cells written before the setting read it as blank until their rebuild)
INVITED_BY = "invited_by"


def extra_parts(plan: Layout) -> tuple[str, ...]:
    return (INVITED_BY,) if plan.invited_by else ()


def _unrolled() -> list:
    """The responses the cells do not hold yet, written as the partial index ix_response_unrolled
    says it (NOT rolled): PostgreSQL does not match ``rolled IS false`` (what ``.is_(False)``
    renders) to that index and scans every response of the wave instead (1.1 s per probe at 1M)."""
    return [not_(Response.rolled), Response.excluded.is_(False)]
# The week of a row that sums every week of its (agency, key): what figures read (one row per
# agency × key, however many weeks), kept beside the weekly cells by every change. Derived rows:
# their count column is 0 (a sum over the table counts each respondent once) and their count is
# the first number of their moments.
ALL_WEEKS = date(1, 1, 1)


def _layout(plan: Layout) -> dict:
    """What rollup_state.layout records: the packed moments' layout and the cells' format (cells
    written before the all-weeks rows existed, or with other key parts, do not match, so the next
    update rebuilds them)."""
    return {**plan.as_json(), "all_weeks": ALL_WEEKS.isoformat(), "key_parts": [*KEY_PARTS, *extra_parts(plan)]}


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_keys(plan: Layout, frame: pd.DataFrame) -> pd.DataFrame:
    """Per respondent: agency_id, week (its Monday) and the text key of the rest of its cell."""
    days = pd.to_datetime(frame["submitted_on"])
    week = (days - pd.to_timedelta(days.dt.weekday, unit="D")).dt.date
    parts = [frame[c].map(_text) if c in frame.columns else pd.Series("", index=frame.index)
             for c in (*KEY_PARTS, *plan.raking, *extra_parts(plan))]
    key = parts[0].str.cat(parts[1:], sep=SEP) if len(parts) > 1 else parts[0]
    return pd.DataFrame({"agency_id": frame["agency_id"].to_numpy(), "week": week.to_numpy(),
                         "key": key.to_numpy()})


def moments_of(wave: Wave, plan: Layout, frame: pd.DataFrame):
    """The CellMoments of some respondents (columns: agency_id, submitted_on, stratum, channel,
    language and the layout's question codes)."""
    from analysis.moments import cell_moments  # scipy: slow to import, only figures need it

    questionnaire = questionnaire_of(wave.survey_version)
    found = measures.states(questionnaire, plan, frame)
    return cell_moments(cell_keys(plan, frame), {m: found[m] for m in plan.states},
                        pooled=plan.pooled, cross=plan.cross)


def _read(session: Session, wave: Wave, plan: Layout, where, after: int = 0,
          limit: int | None = None) -> tuple[list[int], pd.DataFrame]:
    """Responses of the wave (``where``), in id order from ``after`` on: ids and a frame of the
    columns the measures and cell keys need."""
    questionnaire = questionnaire_of(wave.survey_version)
    closed = questionnaire.coded_questions
    extra = [Invitation.channel] if plan.invited_by else []
    query = (select(Response.id, Response.agency_id, Response.submitted_on, Response.stratum, Response.channel,
                    Response.language, Response.processing_agency_id, Response.coded, *extra)
             .where(Response.wave_id == wave.id, Response.id > after, *where).order_by(Response.id))
    if plan.invited_by:
        query = query.outerjoin(Invitation, Invitation.id == Response.invitation_id)
    if limit:
        query = query.limit(limit)
    rows = session.execute(query).all()
    frame = pd.DataFrame(rows, columns=["id", "agency_id", "submitted_on", "stratum", "channel", "language",
                                        "processing_unit", "coded", *(INVITED_BY for _c in extra)])
    frame["processing_unit"] = _unit_codes(session, frame["processing_unit"])
    values = coded.decode(frame.pop("coded").fillna("").tolist(), len(closed), by_column=True)
    for code in plan.codes:
        frame[code] = values[closed.index(code)] if code in closed else np.nan
    frame["stratum"] = frame["stratum"].fillna("")
    return frame["id"].tolist(), frame


def _unit_codes(session: Session, ids: pd.Series) -> pd.Series:
    """Processing units' agency ids as their codes ("" for none)."""
    wanted = {int(i) for i in ids.dropna().unique()}
    if not wanted:
        return pd.Series("", index=ids.index, dtype=object)
    codes = dict(session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(wanted))).all())
    return ids.map(lambda i: "" if i is None or i != i else codes[int(i)]).astype(object)


def _lock(session: Session, wave: Wave, plan: Layout, wait: bool = True) -> RollupState | None:
    """The wave's rollup_state row, locked for this transaction (created when missing); None when
    another transaction holds it and ``wait`` is false."""
    state = session.get(RollupState, wave.id)
    if state is None:
        try:
            with session.begin_nested():
                session.add(RollupState(wave_id=wave.id, layout=_layout(plan), version=0))
        except IntegrityError:  # another instance created it meanwhile
            pass
    query = select(RollupState).where(RollupState.wave_id == wave.id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=not wait)
        return session.scalars(query).first()
    # SQLite: a write takes the database's one write lock until the transaction ends
    session.execute(update(RollupState).where(RollupState.wave_id == wave.id)
                    .values(version=RollupState.version))
    return session.scalars(query).first()


def _stored(session: Session, wave: Wave, keys: list[tuple]) -> dict[tuple, tuple]:
    """The rows of the cells with these (agency_id, week, key): {cell: (id, count, moments)}."""
    out = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        query = (select(RollupCell.id, RollupCell.agency_id, RollupCell.week, RollupCell.key, RollupCell.count,
                        RollupCell.moments)
                 .where(RollupCell.wave_id == wave.id,
                        tuple_(RollupCell.agency_id, RollupCell.week, RollupCell.key).in_(chunk)))
        out.update({(a, w, k): (i, c, m) for i, a, w, k, c, m in session.execute(query)})
    return out


def _all_weeks(cm):
    """The all-weeks rows of some weekly CellMoments (summed over weeks, week = ALL_WEEKS)."""
    total = cm.reduce(["agency_id", "key"])
    keys = total.keys.assign(week=ALL_WEEKS)[["agency_id", "week", "key"]]
    return type(cm)(keys, total.count, total.measures, total.m, total.cross_items, total.cross)


def _merge(session: Session, wave: Wave, cm, sign: int = 1, fresh: bool = False) -> None:
    """Add (or subtract) weekly CellMoments into the wave's weekly and all-weeks cell rows."""
    if len(cm.count):
        _merge_rows(session, wave, cm, sign, fresh)
        _merge_rows(session, wave, _all_weeks(cm), sign, fresh, derived=True)


def _merge_rows(session: Session, wave: Wave, cm, sign: int, fresh: bool, derived: bool = False) -> None:
    """Add (or subtract) CellMoments into the wave's cell rows, reading only the cells touched
    (none when ``fresh``: a rebuild has just deleted them); ``derived``: all-weeks rows."""
    keys = [(int(a), w, k) for a, w, k in cm.keys[["agency_id", "week", "key"]].itertuples(index=False, name=None)]
    stored = {} if fresh else _stored(session, wave, keys)
    new, changed, gone = [], [], []
    for cell, count, blob in zip(keys, cm.count, pack(cm, counted=derived), strict=True):
        found = stored.get(cell)
        if found is None:
            if sign < 0:
                raise RuntimeError("a response was taken out of a cell that does not hold it")
            new.append({"wave_id": wave.id, "agency_id": cell[0], "week": cell[1], "key": cell[2],
                        "count": 0 if derived else int(count), "moments": blob})
            continue
        held = np.frombuffer(found[2])[0] if derived else found[1]
        total = int(held) + sign * int(count)
        if total <= 0:
            gone.append(found[0])
        else:
            moments = np.frombuffer(found[2]) + sign * np.frombuffer(blob)
            changed.append({"cid": found[0], "new_count": 0 if derived else total, "new_moments": moments.tobytes()})
    if new:
        session.execute(insert(RollupCell), new)
    if changed:
        table = RollupCell.__table__  # (a Core executemany: the ORM's bulk update wants primary keys by name)
        session.execute(update(table).where(table.c.id == bindparam("cid"))
                        .values(count=bindparam("new_count"), moments=bindparam("new_moments")), changed)
    if gone:
        session.execute(delete(RollupCell).where(RollupCell.id.in_(gone)))


def pack(cm, counted: bool = False) -> list[bytes]:
    """One cell's numbers as bytes: its measures' moments, then its cross moments (``counted``:
    its count first)."""
    flat = cm.m.reshape(len(cm.count), -1)
    if counted:
        flat = np.concatenate([np.asarray(cm.count, dtype=np.float64)[:, None], flat], axis=1)
    if cm.cross is not None and len(cm.cross_items):
        flat = np.concatenate([flat, cm.cross.reshape(len(cm.count), -1)], axis=1)
    flat = np.ascontiguousarray(flat, dtype=np.float64)
    return [row.tobytes() for row in flat]


class _Sum:
    """CellMoments added batch by batch in place: a batch costs its own cells, not the cells
    summed so far (CellMoments.concat would copy and sort them all again every batch)."""

    def __init__(self):
        self.rows: dict[tuple, int] = {}
        self.keys: list[tuple] = []
        self.head = self.count = self.m = self.cross = None

    def add(self, part) -> None:
        if self.head is None:
            self.head, self.count, self.m = part, np.zeros(0), part.m[:0].copy()
            self.cross = None if part.cross is None else part.cross[:0].copy()
        where = np.empty(len(part.count), dtype=np.int64)
        for i, cell in enumerate(part.keys[["agency_id", "week", "key"]].itertuples(index=False, name=None)):
            row = self.rows.get(cell)
            if row is None:
                row = self.rows[cell] = len(self.keys)
                self.keys.append(cell)
            where[i] = row
        if len(self.keys) > len(self.count):  # grown by doubling: amortised copies
            size = max(len(self.keys), 2 * len(self.count))
            self.count = _grown(self.count, size)
            self.m = _grown(self.m, size)
            self.cross = None if self.cross is None else _grown(self.cross, size)
        self.count[where] += part.count  # a part holds each cell once: plain fancy-index adds
        self.m[where] += part.m
        if self.cross is not None:
            self.cross[where] += part.cross

    def total(self):
        n, head = len(self.keys), self.head
        keys = pd.DataFrame(self.keys, columns=["agency_id", "week", "key"])
        return type(head)(keys, self.count[:n], head.measures, self.m[:n], head.cross_items,
                          None if self.cross is None else self.cross[:n])


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    return np.concatenate([a, np.zeros((size - len(a), *a.shape[1:]), dtype=a.dtype)])


def _fold(session: Session, wave: Wave, plan: Layout, state: RollupState, rebuild: bool = False) -> int:
    """Add every response the cells do not hold yet (with ``rebuild``, every response: the cells
    were just deleted); the number added. The transaction sees one snapshot (REPEATABLE READ on
    PostgreSQL, SQLite's one writer), so the closing UPDATE marks exactly the responses read,
    whatever commits meanwhile (a rebuild rewrites only the rows not marked yet)."""
    unrolled = _unrolled()
    read = [Response.excluded.is_(False)] if rebuild else unrolled
    total, after, added = _Sum(), 0, 0
    while True:  # summed batch by batch: memory stays that of the cells, whatever the responses
        ids, frame = _read(session, wave, plan, read, after, BATCH)
        if ids:
            total.add(moments_of(wave, plan, frame))
            added, after = added + len(ids), ids[-1]
        if len(ids) < BATCH:
            break
    if not added:
        return 0
    _merge(session, wave, total.total(), fresh=rebuild)
    session.execute(update(Response).where(Response.wave_id == wave.id, Response.id <= after, *unrolled)
                    .values(rolled=True).execution_options(synchronize_session=False))
    state.version += 1
    state.updated_at = utcnow()
    return added


def update_cells(session: Session, wave: Wave, *, wait: bool = True) -> int:
    """Fold new responses into the cells, in ``session``'s transaction (the caller commits).
    Rebuilds instead when the wave's layout changed (e.g. raking by another variable)."""
    plan = measures.layout(wave)
    state = _lock(session, wave, plan, wait)
    if state is None:
        return 0
    if state.layout != _layout(plan):
        return _rebuild_locked(session, wave, plan, state)
    return _fold(session, wave, plan, state)


def _rebuild_locked(session: Session, wave: Wave, plan: Layout, state: RollupState) -> int:
    """Delete the cells and sum every (not excluded) response again. Rows already marked rolled
    stay so (they are summed again all the same): a rebuild does not rewrite every response twice."""
    session.execute(delete(RollupCell).where(RollupCell.wave_id == wave.id))
    # an excluded response is held by no cell (and restoring it must add it): never marked rolled
    session.execute(update(Response).where(Response.wave_id == wave.id, Response.excluded.is_(True),
                                           Response.rolled.is_(True))
                    .values(rolled=False).execution_options(synchronize_session=False))
    state.layout = _layout(plan)
    state.version += 1
    return _fold(session, wave, plan, state, rebuild=True)


def rebuild(session: Session, wave: Wave) -> int:
    """Drop the wave's cells and add every response again (``flask results rebuild``)."""
    plan = measures.layout(wave)
    state = _lock(session, wave, plan)
    return _rebuild_locked(session, wave, plan, state)


def hold(session: Session, wave: Wave) -> None:
    """Take the wave's lock in the caller's transaction before changing a response's exclusion:
    an update running now finishes first (and the two never wait for each other's rows)."""
    _lock(session, wave, measures.layout(wave))


def in_own_transaction(engine, wave_id: int, action, *, wait: bool = True) -> int | None:
    """``action(session, wave)`` in a transaction of its own, committed. Without ``wait``, None
    when it cannot be done now (another instance got there first: PostgreSQL's serialization
    failure, SQLite busy; or the database is a read-only replica, where `flask results update`
    on the primary keeps the roll-ups)."""
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":  # one snapshot for the whole update (see _fold)
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            result = action(session, session.get(Wave, wave_id))
            session.commit()
            return result
        except DBAPIError:  # serialization failure, SQLite busy, a read-only replica
            session.rollback()
            if wait:
                raise
            return None


def take_out(session: Session, response: Response) -> None:
    """An excluded response's sums leave its cell (when the cells hold it), in the caller's
    transaction; a restored one is added by the next update."""
    wave = session.get(Wave, response.wave_id)
    plan = measures.layout(wave)
    state = _lock(session, wave, plan)
    if state.layout != _layout(plan):  # the next update rebuilds; a restore must find it unrolled
        session.execute(update(Response).where(Response.id == response.id).values(rolled=False)
                        .execution_options(synchronize_session=False))
        return
    held = session.scalar(select(Response.rolled).where(Response.id == response.id)
                          .execution_options(populate_existing=True))
    if not held:
        return
    _ids, frame = _read(session, wave, plan, [Response.id == response.id])
    _merge(session, wave, moments_of(wave, plan, frame), sign=-1)
    session.execute(update(Response).where(Response.id == response.id).values(rolled=False)
                    .execution_options(synchronize_session=False))
    state.version += 1
    state.updated_at = utcnow()


def pending(session: Session, wave: Wave) -> bool:
    """Whether some response waits to be added (one probe of the partial index)."""
    return session.execute(select(Response.id).where(Response.wave_id == wave.id, *_unrolled())
                           .limit(1)).first() is not None


def stale(session: Session, wave: Wave) -> bool:
    """Whether an update has something to do: new responses, no cells yet or another layout."""
    stored = session.scalar(select(RollupState.layout).where(RollupState.wave_id == wave.id))
    return stored is None or stored != _layout(measures.layout(wave)) or pending(session, wave)


def version(session: Session, wave: Wave) -> int:
    return session.scalar(select(RollupState.version).where(RollupState.wave_id == wave.id)) or 0


def cells_adding(session: Session, wave: Wave, where) -> tuple[pd.DataFrame, np.ndarray]:
    """The all-weeks cells (as ``cells``) with the responses ``where`` picks added: responses the
    cells do not hold (those an integrity review excluded, for the figures "as collected")."""
    (frame, numbers), plan = cells(session, wave), measures.layout(wave)
    rows = _read(session, wave, plan, where)[1]
    if not len(rows):
        return frame, numbers
    extra = _all_weeks(moments_of(wave, plan, rows))
    added = extra.keys[["agency_id"]].assign(week=ALL_WEEKS, key=extra.keys["key"], count=extra.count.astype(np.int64))
    packed = np.vstack([np.frombuffer(blob) for blob in pack(extra)])
    return ((added, packed) if not len(frame) else
            (pd.concat([frame, added], ignore_index=True), np.vstack([numbers, packed])))


def cells(session: Session, wave: Wave, *, weekly: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """The wave's all-weeks cells (``weekly``: its weekly cells): a frame (agency_id, week, key,
    count) and the packed numbers as an array (cells × numbers)."""
    week = RollupCell.week != ALL_WEEKS if weekly else RollupCell.week == ALL_WEEKS
    rows = session.execute(select(RollupCell.agency_id, RollupCell.week, RollupCell.key, RollupCell.count,
                                  RollupCell.moments).where(RollupCell.wave_id == wave.id, week)
                           .order_by(RollupCell.id)).all()
    frame = pd.DataFrame([r[:4] for r in rows], columns=["agency_id", "week", "key", "count"])
    numbers = np.frombuffer(b"".join(r[4] for r in rows)).reshape(len(rows), -1) if rows else np.empty((0, 0))
    if not weekly and rows:  # derived rows: the count is their first number
        frame["count"], numbers = numbers[:, 0].astype(np.int64), numbers[:, 1:]
    return frame, numbers

