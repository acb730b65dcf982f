"""The demo's responses generated a column at a time (numpy) and written in bulk.

The answer model is the demo's (app/demo.py): per response a latent satisfaction (agency effect +
person + factor and item effects) read through logistic noise and four cut points on a scale, 5 %
"not applicable" where the scale offers it; optional non-scale questions left blank 10 % of the
time (free text 90 %); yes/no with fixed probabilities; a single choice from per-response
Dirichlet(3) shares; a multiple choice picking each option with 25 % (at least the first); a
number as low + Poisson(0.6); a comment from a short list. ``show_if`` is evaluated on the
columns already generated, in questionnaire order, as ``survey_definitions.evaluate`` does on
one response's answers, so a hidden question is never answered.

Each row is the recipe of ``store.row()`` for those answers: a random receipt, the answer
document (as ``json.dumps`` writes it), the coded string (``store.encode``), the day, no
invitation and no submission id. On PostgreSQL the rows go through COPY (psycopg 3) in chunks,
elsewhere through executemany; the same seed gives the same rows on both (receipts aside, which
are random as every receipt is).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import column, insert, table

from app.collect import store
from app.extensions import db
from survey_definitions import NOT_APPLICABLE, Questionnaire
from survey_definitions.questiontypes import choices, offers_not_applicable

CUTS = [-1.6, -0.9, 0.45, 2.3]  # 4 cut points of the latent scale → 5 levels
YES_PROBABILITY = {"late": 0.04, "apology": 0.7, "harassed": 0.03, "informal_payment": 0.02}
CHANNEL_SHARES = [0.45, 0.30, 0.20, 0.05]
COMMENTS = ["Cần thêm ghế ngồi chờ.", "Cán bộ nhiệt tình, chu đáo.", "Thủ tục còn rườm rà.",
            "Nên nhắn tin báo khi có kết quả.", "Rất hài lòng."]
CHUNK = 50_000  # responses generated and written at a time
COLUMNS = ("receipt", "wave_id", "survey_version_id", "agency_id", "stratum", "channel", "language",
           "submitted_on", "invitation_id", "excluded", "exclusion_reason", "answers", "coded",
           "client_key", "client_digest")
ABSENT, ANSWERED, NOT_APPLICABLE_STATE = 0, 1, 2


@dataclass
class Column:
    """One question's answers over a chunk: state (absent, answered, not applicable) and value
    (the answer; for a multiple choice a bit mask over its options; for text an index of COMMENTS)."""
    state: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class Meta:
    wave_id: int
    survey_version_id: int
    agency_id: int
    period_start: date
    days: int  # answers dated period_start + 0 … days


def _values(questionnaire: Questionnaire, question) -> list:
    found = choices(question, questionnaire.scales)
    return [c.value for c in found] if found else []


def _answer(rng, questionnaire: Questionnaire, question, latent: np.ndarray) -> Column:
    """The answers of one question for every response of the chunk (app/demo.py's model)."""
    n, kind = latent.size, question.type
    state = np.full(n, ANSWERED, np.int8)
    values = _values(questionnaire, question)
    if kind == "scale":
        na = rng.random(n) < 0.05 if offers_not_applicable(question, questionnaire.scales) else np.zeros(n, bool)
        z = latent + rng.logistic(0, 0.55, n)
        cut = np.minimum(np.searchsorted(CUTS, z), len(values) - 1)
        state[na] = NOT_APPLICABLE_STATE
        return Column(state, np.asarray(values, np.int64)[cut])
    if not question.required:
        state[rng.random(n) < (0.9 if kind == "text" else 0.1)] = ABSENT
    if kind == "yes_no":
        value = (rng.random(n) < YES_PROBABILITY.get(question.code, 0.3)).astype(np.int64)
    elif kind == "single":
        shares = rng.gamma(3.0, size=(n, len(values)))  # Dirichlet(3, …, 3) shares, one set per response
        shares /= shares.sum(axis=1, keepdims=True)
        pick = (np.cumsum(shares, axis=1) < rng.random(n)[:, None]).sum(axis=1)
        value = np.asarray(values, np.int64)[np.minimum(pick, len(values) - 1)]
    elif kind == "multiple":  # options in their listed order: bit j is values[j]
        bits = rng.random((n, len(values))) < 0.25
        bits[~bits.any(axis=1), 0] = True
        value = (bits.astype(np.int64) << np.arange(len(values))).sum(axis=1)
    elif kind == "number":
        low = int(question.min if question.min is not None else 1)
        high = int(question.max or 5)
        value = np.clip(low + rng.poisson(0.6, n), low, high).astype(np.int64)
    elif kind == "text":
        value = rng.integers(0, len(COMMENTS), n)
    else:  # dossier codes and anything else: never generated
        value = np.zeros(n, np.int64)
        state[:] = ABSENT
    return Column(state, value)


def evaluate(cond: Mapping[str, Any] | None, columns: Mapping[str, Column], kinds: Mapping[str, tuple],
             n: int) -> np.ndarray:
    """``survey_definitions.evaluate`` over a chunk: where ``cond`` holds for each response."""
    if cond is None:
        return np.ones(n, bool)
    if "all" in cond:
        return np.logical_and.reduce([evaluate(c, columns, kinds, n) for c in cond["all"]] or [np.ones(n, bool)])
    if "any" in cond:
        return np.logical_or.reduce([evaluate(c, columns, kinds, n) for c in cond["any"]] or [np.zeros(n, bool)])
    if "not" in cond:
        return ~evaluate(cond["not"], columns, kinds, n)
    col = columns.get(cond["question"])
    if col is None:  # not asked yet (or never): blank
        return np.zeros(n, bool) if "answered" not in cond else np.full(n, not cond["answered"])
    if "answered" in cond:
        return (col.state != ABSENT) == bool(cond["answered"])
    wanted = [cond["equals"]] if "equals" in cond else list(cond["in"])
    wanted = [w for w in wanted if not isinstance(w, bool)]  # _same: never a boolean
    kind, values = kinds[cond["question"]]
    hit = np.zeros(n, bool)
    if NOT_APPLICABLE in wanted:
        hit |= col.state == NOT_APPLICABLE_STATE
    answered = col.state == ANSWERED
    if kind == "multiple":
        mask = sum(1 << j for j, v in enumerate(values) if v in wanted)
        return hit | (answered & ((col.value & mask) != 0))
    if kind == "text":
        return hit | (answered & np.isin(col.value, [j for j, c in enumerate(COMMENTS) if c in wanted]))
    numbers = [w for w in wanted if isinstance(w, int | float)]
    return hit | (answered & np.isin(col.value, numbers))


def _fragments(question, values: list) -> tuple[np.ndarray, str]:
    """The answer document's '"code": value' for each possible value (indexed as Column.value),
    and for "not applicable": json.dumps's own text of them."""
    key = json.dumps(question.code) + ": "
    if question.type == "multiple":
        texts = [json.dumps([v for j, v in enumerate(values) if m >> j & 1]) for m in range(1 << len(values))]
        lut = np.asarray([key + t for t in texts], dtype=object)
    elif question.type == "text":
        lut = np.asarray([key + json.dumps(c) for c in COMMENTS], dtype=object)
    else:
        top = max([int(v) for v in values] + [int(question.max or 0), 1000])
        lut = np.asarray([key + str(v) for v in range(top + 1)], dtype=object)
    return lut, key + json.dumps(NOT_APPLICABLE)


class Generator:
    """The demo's answers for one questionnaire, a chunk of one agency's responses at a time."""

    def __init__(self, questionnaire: Questionnaire, factor_effect: dict, item_effect: dict):
        self.questionnaire = questionnaire
        factor_of = {item: f for f, items in questionnaire.factor_items().items() for item in items}
        self.offset = {q.code: factor_effect.get(factor_of.get(q.code), 0) + item_effect.get(q.code, 0)
                       for q in questionnaire.questions}
        self.kinds = {q.code: (q.type, _values(questionnaire, q)) for q in questionnaire.questions}
        self.luts = {q.code: _fragments(q, self.kinds[q.code][1]) for q in questionnaire.questions}
        self.coded = questionnaire.coded_questions

    def answers(self, rng, effect: float, n: int) -> dict[str, Column]:
        person = rng.normal(0, 0.6, n)
        base = 1.9 + effect + person
        columns: dict[str, Column] = {}
        for question in self.questionnaire.questions:
            shown = evaluate(question.show_if, columns, self.kinds, n)
            col = _answer(rng, self.questionnaire, question, base + self.offset[question.code])
            col.state[~shown] = ABSENT
            columns[question.code] = col
        return columns

    def documents(self, columns: Mapping[str, Column]) -> list[str]:
        """Each response's answer document as json.dumps writes the dict row() stores."""
        parts = []
        for code, col in columns.items():
            lut, na = self.luts[code]
            text = np.full(col.state.size, "", dtype=object)
            answered = col.state == ANSWERED
            text[answered] = lut[col.value[answered]]
            text[col.state == NOT_APPLICABLE_STATE] = na
            parts.append(text)
        return ["{" + ", ".join(filter(None, row)) + "}" for row in zip(*parts, strict=True)]

    def coded_strings(self, columns: Mapping[str, Column]) -> list[str]:
        """store.encode of each response's answers: one character per closed question."""
        n = next(iter(columns.values())).state.size if columns else 0
        chars = np.full((n, len(self.coded)), ord(store.CODED_MISSING), dtype="<u4")
        for j, code in enumerate(self.coded):
            col = columns[code]
            answered = col.state == ANSWERED
            if np.any(col.value[answered] > store.HIGHEST) or np.any(col.value[answered] < 0):
                raise ValueError(f"{code}: a closed question holds a value beyond 0..{store.HIGHEST}")
            chars[answered, j] = store.ZERO + col.value[answered]
            chars[col.state == NOT_APPLICABLE_STATE, j] = ord(store.CODED_NOT_APPLICABLE)
        if not self.coded:
            return [""] * n
        return np.ascontiguousarray(chars).view(f"<U{len(self.coded)}").ravel().tolist()


def receipts(n: int) -> list[str]:
    """n receipts as row() makes them (secrets.token_hex(8).upper()), from the OS's random bytes."""
    text = os.urandom(8 * n).hex().upper().encode("ascii")
    return np.frombuffer(text, dtype="S16").astype("U16").tolist()


def chunks(rng, generator: Generator, meta: Meta, effect: float, total: int,
           channels: list[str]) -> Iterator[list[tuple]]:
    """The rows of one agency's ``total`` responses, CHUNK at a time, as tuples in COLUMNS order."""
    for start in range(0, total, CHUNK):
        n = min(CHUNK, total - start)
        # channel, language and day of every response first, then their answers (the seeded order)
        channel = np.asarray(channels, dtype=object)[rng.choice(len(channels), size=n, p=CHANNEL_SHARES)]
        language = np.where(rng.random(n) < 0.03, "en", "vi").astype(object)
        days = [meta.period_start + timedelta(days=int(d)) for d in range(meta.days + 1)]
        day = np.asarray(days, dtype=object)[rng.integers(0, meta.days + 1, n)]
        columns = generator.answers(rng, effect, n)
        documents, coded = generator.documents(columns), generator.coded_strings(columns)
        fixed = (meta.wave_id, meta.survey_version_id, meta.agency_id, "")
        yield [(r, *fixed, c, lang, d, None, False, None, doc, code, None, None)
               for r, c, lang, d, doc, code in zip(receipts(n), channel, language, day, documents, coded,
                                                   strict=True)]


_PLAIN = table("response", *(column(c) for c in COLUMNS))  # answers already JSON text


def write(rows: list[tuple]) -> None:
    """Insert rows (tuples in COLUMNS order) in the session's transaction: COPY on PostgreSQL."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY response ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    connection.execute(insert(_PLAIN), [dict(zip(COLUMNS, row, strict=True)) for row in rows])
