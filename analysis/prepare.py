"""Validation and integer coding of a respondent frame for ``compute_rates``.

Errors are ``ValueError`` with one clear sentence naming the column and the
row (``line N`` when the frame's index is named ``line``, as the CLI does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.design import codes
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


def where(frame: pd.DataFrame, pos: int) -> str:
    label = frame.index[pos]
    return f"line {label}" if frame.index.name == "line" else f"row {label}"


def numeric(frame: pd.DataFrame, col: str, what: str = "column") -> np.ndarray:
    """Column as float; blanks become NaN, anything else non-numeric is an error."""
    if col not in frame.columns:
        raise ValueError(f"unknown {what} {col!r}: not a column of the data")
    s = frame[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    text = s.astype("string").str.strip()
    blank = text.isna() | (text == "")
    out = pd.to_numeric(text.mask(blank), errors="coerce")
    bad = np.flatnonzero(out.isna().to_numpy() & ~blank.to_numpy())
    if bad.size:
        pos = int(bad[0])
        raise ValueError(f"column {col!r}, {where(frame, pos)}: {s.iloc[pos]!r} is not a number")
    return out.to_numpy(dtype=float)


def _labels_column(frame: pd.DataFrame, col: str, what: str) -> pd.Series:
    if col not in frame.columns:
        raise ValueError(f"unknown {what} column {col!r}: not a column of the data")
    s = frame[col]
    blank = s.isna()
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        blank = blank | (s.astype(str).str.strip() == "")
    if blank.any():
        pos = int(np.flatnonzero(blank.to_numpy())[0])
        raise ValueError(f"{what} column {col!r} is blank on {where(frame, pos)}")
    return s


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
) -> Prepared:
    """Validate the inputs and code them (see module docstring)."""
    items = list(items)
    if not items:
        raise ValueError("no items given")
    if len(set(items)) != len(items):
        raise ValueError("an item is listed twice")
    sat = np.asarray(list(satisfied), dtype=float)
    if sat.size == 0:
        raise ValueError("the satisfied set is empty")
    n = len(frame)
    if n == 0:
        raise ValueError("the data has no rows")
    state = []
    for col in items:
        x = numeric(frame, col, "item")
        st = np.where(np.isnan(x), 0, np.where(np.isin(x, sat), 2, 1)).astype(np.int8)
        state.append(st)
    index = {c: j for j, c in enumerate(items)}
    members: dict[str, list[int]] = {}
    for name, cols in (factors or {}).items():
        unknown = [c for c in cols if c not in index]
        if unknown:
            raise ValueError(f"factor {name!r} names {unknown[0]!r}, which is not among the items")
        if name in index or name == "overall":
            raise ValueError(f"factor name {name!r} clashes with an item or 'overall'")
        members[str(name)] = [index[c] for c in cols]
    by = list(by or [])
    for col in by:
        _labels_column(frame, col, "by")
    if by:
        key = np.zeros(n, dtype=np.int64)
        for col in by:  # lexicographic mixed-radix key keeps the sorted order
            c, u = pd.factorize(frame[col], sort=True)
            key = key * len(u) + c
        uniq, dom_codes = np.unique(key, return_inverse=True)
        first = np.full(uniq.size, n, dtype=np.int64)
        np.minimum.at(first, dom_codes, np.arange(n))
        dom_labels = frame[by].iloc[first].reset_index(drop=True)
        dom = dom_codes.astype(np.int64)
        answered = np.zeros(n, dtype=bool)
        for s in state:
            answered |= s > 0
        has = np.bincount(dom, answered, len(uniq)) > 0
        if not has.all():
            k = int(np.argmin(has))
            label = ", ".join(f"{c}={dom_labels[c].iloc[k]}" for c in by)
            raise ValueError(f"empty domain {label}: no respondent answered any item")
    else:
        dom, dom_labels = np.zeros(n, dtype=np.int64), pd.DataFrame(index=[0])
    w = _weights(frame, weight)
    st = codes(_labels_column(frame, strata, "strata")) if strata else np.zeros(n, np.int64)
    pc = None
    if psu:
        raw = codes(_labels_column(frame, psu, "psu"))
        pc = codes(st * (int(raw.max()) + 1) + raw)
    fraction = _fraction(frame, fpc, st, pc)
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
        w, d, st, pc, fraction, cal, df, notes,
    )
