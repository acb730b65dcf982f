"""The `ratings` string of a response: its rated items in questionnaire order, one character each.

chr(48 + point) for a point 0..74 ("1" … "5" on the SIPAS scales), "-" for not applicable,
" " for not asked or not answered. A wave's estimates decode a million of them in one numpy call
instead of reading a document per response.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

NOT_APPLICABLE, MISSING, ZERO = "-", " ", 48
HIGHEST = 74  # chr(48 + 74) == "z"


def encode(rated_items: Iterable[str], answers: Mapping[str, Any]) -> str:
    out = []
    for code in rated_items:
        value = answers.get(code)
        if value is None or isinstance(value, bool):
            out.append(MISSING)
        elif value == "na":
            out.append(NOT_APPLICABLE)
        elif isinstance(value, int | float) and float(value).is_integer() and 0 <= value <= HIGHEST:
            out.append(chr(ZERO + int(value)))
        else:
            raise ValueError(f"{code}: a rated item holds {value!r}, not a scale point 0..{HIGHEST}")
    return "".join(out)


def decode(strings: Iterable[str], width: int) -> np.ndarray:
    """n strings → an n × width float array of points, NaN where not applicable or not answered."""
    strings = list(strings)
    if not strings or width == 0:
        return np.full((len(strings), width), np.nan)
    joined = "".join(strings)
    if len(joined) != len(strings) * width:  # a questionnaire edit between responses: pad or cut
        joined = "".join(s.ljust(width)[:width] for s in strings)
    joined = joined.encode("ascii")
    codes = np.frombuffer(joined, dtype=np.uint8).reshape(len(strings), width).astype(float)
    codes[codes < ZERO] = np.nan  # " " (32) and "-" (45)
    return codes - ZERO
