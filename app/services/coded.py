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


def decode(strings: Iterable[str], width: int) -> np.ndarray:
    """n strings → an n × width float array of values, NaN where not applicable or not answered."""
    strings = list(strings)
    if not strings or width == 0:
        return np.full((len(strings), width), np.nan)
    joined = "".join(strings)
    if len(joined) != len(strings) * width:  # not expected (versions are immutable): pad or cut
        joined = "".join(s.ljust(width)[:width] for s in strings)
    return decode_joined(joined, len(strings), width)


def decode_joined(joined: str, rows: int, width: int) -> np.ndarray:
    """The same from the strings already concatenated (e.g. by string_agg in the database)."""
    try:  # values up to 207 fit one byte each: a quarter of the memory of UTF-32
        raw = np.frombuffer(joined.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        raw = np.frombuffer(joined.encode("utf-32-le"), dtype="<u4")
    points = raw.reshape(rows, width).astype(float)
    points[points < ZERO] = np.nan  # " " (32) and "-" (45)
    return points - ZERO
