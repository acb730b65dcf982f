"""Text labels compared as Unicode NFC.

The same agency name typed on two systems may arrive composed (NFC, "ệ" one code point) or
decomposed (NFD, "e" + two combining marks); compared verbatim they would be two domains with
identical-looking rows (issue 13).  Every label the analysis groups or matches on goes through
:func:`nfc_column` or :func:`nfc`.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd


def nfc(value: object) -> object:
    """A text label in Unicode NFC (the same name typed on two systems is one label); other
    values unchanged."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def nfc_column(s: pd.Series) -> pd.Series:
    """``s`` with its text labels in NFC, normalised once per distinct value; ``s`` itself when
    nothing changes (no copy of a million-row column)."""
    if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
        return s
    c, u = pd.factorize(s)
    fixed = [nfc(v) for v in u]
    if all(a == b for a, b in zip(fixed, u)):
        return s
    values = np.asarray(fixed + [None], dtype=object)
    return pd.Series(values[c], index=s.index, name=s.name, dtype=object)
