"""The `coded` string of a response: every closed question (scale, single choice, yes/no) of its
questionnaire, in questionnaire order, one character each.

chr(48 + value) for a value 0 … 50,000 ("1" … "5" on the SIPAS scales, beyond ASCII for option
codes such as 99), "-" for not applicable, " " for not asked or not answered. A wave's estimates
and dashboard decode a million of them with one numpy call instead of reading a document each.
The answer document stays the source of truth; this is its closed part, written in the same row.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

NOT_APPLICABLE, MISSING, ZERO = "-", " ", 48
HIGHEST = 50_000  # chr(48 + 50,000) stays below the surrogate range


def encode(codes: Iterable[str], answers: Mapping[str, Any]) -> str:
    out = []
    for code in codes:
        value = answers.get(code)
        if value is None or isinstance(value, bool):
            out.append(MISSING)
        elif value == "na":
            out.append(NOT_APPLICABLE)
        elif isinstance(value, int | float) and float(value).is_integer() and 0 <= value <= HIGHEST:
            out.append(chr(ZERO + int(value)))
        else:
            raise ValueError(f"{code}: a closed question holds {value!r}, not a value 0..{HIGHEST}")
    return "".join(out)


def decode(strings: Iterable[str], width: int, by_column: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """n strings → an n × width float array of values, NaN where not applicable or not answered
    (width × n, one row per question, with ``by_column``; written into ``out`` when given)."""
    strings = list(strings)
    joined = "".join(strings)
    if len(joined) != len(strings) * width:  # not expected (versions are immutable): pad or cut
        joined = "".join(s.ljust(width)[:width] for s in strings)
    return decode_joined(joined, len(strings), width, by_column, out)


def decode_joined(joined: str, rows: int, width: int, by_column: bool = False,
                  out: np.ndarray | None = None) -> np.ndarray:
    """The same from the strings already concatenated (e.g. by string_agg in the database)."""
    try:  # values up to 207 fit one byte each: a quarter of the memory of UTF-32
        raw = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        raw = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    raw = raw.reshape(rows, width)
    if by_column:  # each question's answers side by side in memory, as a table column wants them
        raw = np.ascontiguousarray(raw.T)
    if raw.dtype == np.uint8:
        return np.take(_BYTE_VALUES, raw, out=out, mode="clip")  # one lookup per answer ("clip": unbuffered)
    points = raw.astype(float)
    points[points < ZERO] = np.nan  # " " (32) and "-" (45)
    points -= ZERO
    if out is None:
        return points
    out[...] = points
    return out


# The value of every byte: NaN for " " and "-" (below ZERO), else its distance from ZERO.
_BYTE_VALUES = np.where(np.arange(256) < ZERO, np.nan, np.arange(256) - ZERO).astype(float)
