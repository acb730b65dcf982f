"""Validation and integer coding of a respondent frame for ``compute_rates``.

Errors are ``ValueError`` with one clear sentence naming the column and the
row (``line N`` when the frame's index is named ``line``, as the CLI does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.cells import _compact
from analysis.design import LONELY_PSU, codes
from analysis.labels import nfc, nfc_column
from analysis.weights import rake


@dataclass(frozen=True)
class Prepared:
    n: int
    items: list[str]
    state: list[np.ndarray]  # per item: 0 not answered, 1 not satisfied, 2 satisfied
    factor_members: dict[str, list[int]]
    by: list[str]
    dom: np.ndarray
    n_dom: int
    dom_labels: pd.DataFrame
    w: np.ndarray
    d: np.ndarray
    strata: np.ndarray
    psu: np.ndarray | None
    fraction: np.ndarray  # per stratum
    cal: tuple[np.ndarray, ...]
    df: int
    notes: dict = field(default_factory=dict)
    lonely_psu: str = "adjust"
    strata_labels: tuple = ()
    lonely: np.ndarray | None = None  # per stratum: a single PSU (and sampled with replacement)


def where(frame: pd.DataFrame, pos: int) -> str:
    label = frame.index[pos]
    return f"line {label}" if frame.index.name == "line" else f"row {label}"


def distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Codes and distinct values of a column, to apply an elementwise function once per value.

    ``values.to_numpy()[codes]`` gives back every row's value (code -1, a missing value, points
    at the last entry of ``values``, a None or NA appended when the column has one).  Exact for
    numpy numeric and bool columns (values are told apart by their bits, so -0.0 and 0.0 or two
    NaNs stay apart) and for string columns; for object columns only when every present value is
    a ``str`` (factorize would merge 1, 1.0 and True, or two kinds of missing value).  Returns
    None for any other column.
    """
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf" and dtype.itemsize in (1, 2, 4, 8):
        unsigned = np.dtype(f"u{dtype.itemsize}")
        c, bits = pd.factorize(s.to_numpy().view(unsigned))
        return c, pd.Series(np.asarray(bits, dtype=unsigned).view(dtype))
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        c, u = pd.factorize(s)
        values = np.asarray(u, dtype=object)
        if not all(isinstance(v, str) for v in values):
            return None
        if (c < 0).any():
            values = np.append(values, None)
        return c, pd.Series(values, dtype=object)
    if isinstance(dtype, pd.StringDtype):
        c, u = pd.factorize(s)
        values = list(u) + ([None] if (c < 0).any() else [])
        return c, pd.Series(pd.array(values, dtype=dtype))
    return None


def _parse(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of a text column (NaN where blank) and where it is neither blank nor a number."""
    text = s.astype("string").str.strip()
    blank = text.isna() | (text == "")
    out = pd.to_numeric(text.mask(blank), errors="coerce")
    return out.to_numpy(dtype=float), out.isna().to_numpy() & ~blank.to_numpy()


def numeric(frame: pd.DataFrame, col: str, what: str = "column") -> np.ndarray:
    """Column as float; blanks become NaN, anything else non-numeric is an error."""
    if col not in frame.columns:
        raise ValueError(f"unknown {what} {col!r}: not a column of the data")
    s = frame[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    found = distinct(s)
    if found is None:
        out, bad = _parse(s)
    else:  # parse each distinct text once: a wave has a million rows but a handful of answers
        c, values = found
        out, bad = _parse(values)
        out, bad = out[c], bad[c]
    bad = np.flatnonzero(bad)
    if bad.size:
        pos = int(bad[0])
        raise ValueError(f"column {col!r}, {where(frame, pos)}: {s.iloc[pos]!r} is not a number")
    return out


def _label_codes(frame: pd.DataFrame, col: str, what: str) -> tuple[np.ndarray, pd.Index]:
    """Codes in order of first appearance (as ``design.codes``) and distinct values of a label
    column, which must have no blank (missing, or text that is empty or only whitespace)."""
    if col not in frame.columns:
        raise ValueError(f"unknown {what} column {col!r}: not a column of the data")
    s = frame[col]
    c, u = pd.factorize(s)  # missing values get code -1; with none, the codes of design.codes
    blank = np.append(np.asarray(pd.isna(u), dtype=bool), True)  # position -1: missing
    if s.dtype == object or pd.api.types.is_string_dtype(s):  # checked once per distinct value
        text = pd.Series(np.asarray(u, dtype=object), dtype=object).astype(str)
        blank[:-1] |= (text.str.strip() == "").to_numpy()
    rows = blank[c]
    if rows.any():
        pos = int(np.flatnonzero(rows)[0])
        raise ValueError(f"{what} column {col!r} is blank on {where(frame, pos)}")
    return c.astype(np.int64), u


def _sorted_codes(frame: pd.DataFrame, col: str, c: np.ndarray, u: pd.Index) -> tuple[np.ndarray, int]:
    """Codes of a validated label column in sorted order, as ``pd.factorize(sort=True)``."""
    if frame[col].dtype == object or isinstance(frame[col].dtype, pd.StringDtype):
        rank, uniq = pd.factorize(u, sort=True)  # the same sort, on the distinct values only
        return rank[c], len(uniq)
    sc, uniq = pd.factorize(frame[col], sort=True)
    return sc, len(uniq)


def _weights(frame: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(frame))
    w = numeric(frame, weight, "weight column")
    bad = np.flatnonzero(~np.isfinite(w) | (w <= 0))
    if bad.size:
        pos = int(bad[0])
        raise ValueError(
            f"weight column {weight!r}, {where(frame, pos)}: weight {frame[weight].iloc[pos]!r} "
            "is not positive (zero, negative or blank weights are not allowed)"
        )
    return w


def _fraction(frame: pd.DataFrame, fpc: str | None, st: np.ndarray, psu) -> np.ndarray:
    n_strata = int(st.max()) + 1
    if fpc is None:
        return np.zeros(n_strata)
    pop = numeric(frame, fpc, "fpc column")
    if np.isnan(pop).any():
        raise ValueError(f"fpc column {fpc!r} is blank on {where(frame, int(np.isnan(pop).argmax()))}")
    lo = np.full(n_strata, np.inf)
    hi = np.full(n_strata, -np.inf)
    np.minimum.at(lo, st, pop)
    np.maximum.at(hi, st, pop)
    if np.any(lo != hi):
        raise ValueError(f"fpc column {fpc!r} must be constant within each stratum")
    units = psu if psu is not None else np.arange(st.size)
    n_h = np.bincount(np.unique(np.stack([st, units]), axis=1)[0], minlength=n_strata)
    if np.all(lo <= 1):
        return lo
    if np.any(lo < n_h):
        raise ValueError(f"fpc column {fpc!r}: a population size is smaller than its sample")
    return n_h / lo


def prepare(
    frame: pd.DataFrame,
    items: Sequence[str],
    factors: Mapping[str, Sequence[str]] | None,
    by: Sequence[str] | None,
    weight: str | None,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    margins: pd.DataFrame | None,
    satisfied: Sequence[float],
    *,
    codes_allowed: Sequence[float] | None = None,
    lonely_psu: str = "adjust",
) -> Prepared:
    """Validate the inputs and code them (see module docstring).

    ``codes_allowed``: the scale's codes; any other value in an item column is an error naming
    the column and the line (None: no check).  Text labels (``by``, strata, PSU, factor names)
    are compared in Unicode NFC.  ``lonely_psu`` is R's option (see ``analysis.design``).
    """
    if lonely_psu not in LONELY_PSU:
        raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU)}, got {lonely_psu!r}")
    items = list(items)
    if not items:
        raise ValueError("no items given")
    if len(set(items)) != len(items):
        raise ValueError("an item is listed twice")
    sat = np.asarray(list(satisfied), dtype=float)
    if sat.size == 0:
        raise ValueError("the satisfied set is empty")
    allowed = None if codes_allowed is None else np.asarray(list(codes_allowed), dtype=float)
    if allowed is not None and not np.isin(sat, allowed).all():
        raise ValueError(f"satisfied value {sat[~np.isin(sat, allowed)][0]:g} is not one of the codes")
    n = len(frame)
    if n == 0:
        raise ValueError("the data has no rows")
    state = []
    for col in items:  # 0 blank, 1 not satisfied, 2 satisfied (NaN is never in sat: nan != nan)
        x = numeric(frame, col, "item")
        if allowed is not None:
            _check_codes(frame, col, x, allowed)
        st = np.isin(x, sat).view(np.int8)
        st += ~np.isnan(x)
        state.append(st)
    index = {c: j for j, c in enumerate(items)}
    members: dict[str, list[int]] = {}
    for name, cols in (factors or {}).items():
        name, cols = nfc(name), [nfc(c) for c in cols]
        unknown = [c for c in cols if c not in index]
        if unknown:
            raise ValueError(f"factor {name!r} names {unknown[0]!r}, which is not among the items")
        if name in index or name == "overall":
            raise ValueError(f"factor name {name!r} clashes with an item or 'overall'")
        members[str(name)] = [index[c] for c in cols]
    by = list(by or [])
    labels_nfc = {c: nfc_column(frame[c]) for c in [*by, strata, psu] if c and c in frame.columns}
    if any(labels_nfc[c] is not frame[c] for c in labels_nfc):
        frame = frame.assign(**labels_nfc)  # new columns only; the items are shared
    labelled = [_label_codes(frame, col, "by") for col in by]
    if by:
        key = np.zeros(n, dtype=np.int64)
        for col, (c, u) in zip(by, labelled):  # lexicographic mixed-radix key keeps the sorted order
            c, size = _sorted_codes(frame, col, c, u)
            key = key * size + c
        dom_codes, uniq = _compact(key)
        first = np.full(uniq.size, n, dtype=np.int64)
        np.minimum.at(first, dom_codes, np.arange(n))
        dom_labels = frame[by].iloc[first].reset_index(drop=True)
        dom = dom_codes.astype(np.int64)
    else:
        dom, dom_labels = np.zeros(n, dtype=np.int64), pd.DataFrame(index=[0])
    w = _weights(frame, weight)
    st, strata_labels = (
        _label_codes(frame, strata, "strata") if strata else (np.zeros(n, np.int64), ["whole sample"])
    )
    pc = None
    if psu:
        raw = _label_codes(frame, psu, "psu")[0]
        pc = codes(st * (int(raw.max()) + 1) + raw)
    fraction = _fraction(frame, fpc, st, pc)
    lonely = _lonely(st, pc, fraction)
    if lonely.any() and lonely_psu == "fail":
        label = strata_labels[int(np.argmax(lonely))]
        raise ValueError(
            f"stratum {label!r} has a single PSU (lonely PSU); choose --lonely-psu "
            "adjust, average or certainty"
        )
    d, cal, notes = w, (), {}
    if margins is not None:
        res = rake(frame, weight, margins) if weight else rake(frame.assign(_w=w), "_w", margins)
        if not res.converged:
            raise ValueError(
                f"raking did not converge in {res.iterations} iterations "
                f"(largest margin error {res.max_error:.3g})"
            )
        w, cal = res.weights, res.factors
        notes["rake_iterations"] = res.iterations
    n_psu = n if pc is None else int(pc.max()) + 1
    df = n_psu - (int(st.max()) + 1)
    return Prepared(
        n, items, state, members, by, dom, int(dom.max()) + 1, dom_labels,
        w, d, st, pc, fraction, cal, df, notes, lonely_psu, tuple(strata_labels), lonely,
    )


def _lonely(st: np.ndarray, pc: np.ndarray | None, fraction: np.ndarray) -> np.ndarray:
    """Per stratum: True when it holds a single PSU sampled with replacement or an fpc < 1."""
    n_strata = int(st.max()) + 1
    if pc is None:  # each respondent its own PSU
        n_psu = np.bincount(st, minlength=n_strata)
    else:  # PSU codes are unique across strata: one stratum per PSU
        psu_stratum = np.zeros(int(pc.max()) + 1, np.int64)
        psu_stratum[pc] = st
        n_psu = np.bincount(psu_stratum, minlength=n_strata)
    return (n_psu == 1) & (fraction < 1)


def _check_codes(frame: pd.DataFrame, col: str, x: np.ndarray, allowed: np.ndarray) -> None:
    """Refuse any answer outside the scale's codes (9 "don't know", 0, 6 ...): counted as "not
    satisfied" they would lower the rate without a word (issue 13)."""
    bad = np.flatnonzero(~np.isnan(x) & ~np.isin(x, allowed))
    if bad.size:
        pos = int(bad[0])
        codes_text = ",".join(f"{v:g}" for v in allowed)
        raise ValueError(
            f"column {col!r}, {where(frame, pos)}: {f'{x[pos]:g}'!r} is not one of the "
            f"codes {codes_text} ({bad.size} such value{'s' if bad.size > 1 else ''}; "
            "use --codes to declare the scale, and leave not-applicable answers blank)"
        )
