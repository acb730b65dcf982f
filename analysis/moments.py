"""Additive per-cell moments of satisfaction answers (issue 15).

A *cell* is one combination of key columns (agency, stratum, margin cell, by-domain, design
weight, ...).  Per cell and measure we keep MOMENTS: the number of rows that answered, Σs, Σa,
Σs², Σs·a and Σa² (s = satisfied answers, a = answers; 0/1 for an item, counts for a pooled
group), and for the mean rule the cross moments Σ y_p·y_q, Σ y_p·a_q, Σ a_p·a_q of items.
Every number is a sum over rows, so tables of partitions add up (:meth:`CellMoments.concat`) and
:func:`analysis.moment_rates.rates_from_moments` gives the table ``compute_rates`` gives from
the rows, when every weight is constant within a cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.cells import _compact
from analysis.moment_rates import rates_from_moments
from analysis.prepare import _check_codes, numeric

__all__ = ["MOMENTS", "CellMoments", "cell_moments", "item_states", "rates_from_moments"]

MOMENTS = ("n", "s", "a", "ss", "sa", "aa")
_BLOCK = 1 << 16  # rows per block of cross products
_SMALL = 512  # cells of at most this many rows are multiplied in stacks


@dataclass(frozen=True)
class CellMoments:
    """Per-cell sums; see the module docstring."""

    keys: pd.DataFrame  # C rows, unique combinations of the key columns
    count: np.ndarray  # (C,) rows per cell (every respondent, answered or not)
    measures: tuple[str, ...]  # M measure names
    m: np.ndarray  # (C, M, 6) MOMENTS per cell and measure
    cross_items: tuple[str, ...] = ()  # K items with cross moments (the mean rule)
    cross: np.ndarray | None = None  # (C, 3, K, K): Σ y_p y_q, Σ y_p a_q, Σ a_p a_q

    def __post_init__(self):
        c = len(self.keys)
        if self.count.shape != (c,) or self.m.shape != (c, len(self.measures), len(MOMENTS)):
            raise ValueError("cell moments: keys, count and m disagree on the number of cells")
        k = len(self.cross_items)
        if k and (self.cross is None or self.cross.shape != (c, 3, k, k)):
            raise ValueError("cell moments: cross must be (cells, 3, K, K) for the cross items")

    @property
    def n_cells(self) -> int:
        return len(self.keys)

    def reduce(self, by: Sequence[str] | None = None) -> CellMoments:
        """Sum the cells that agree on ``by`` (key columns; default all): additive."""
        by = list(self.keys.columns if by is None else by)
        unknown = [c for c in by if c not in self.keys.columns]
        if unknown:
            raise ValueError(f"reduce: {unknown[0]!r} is not a key column")
        code, first = key_codes(self.keys[by])
        order = np.argsort(code, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(code[order]) != 0]) if code.size else code

        def add(x):
            if x.shape[0] == 0:
                return x
            return np.add.reduceat(x[order], starts, axis=0)

        keys = self.keys[by].iloc[first].reset_index(drop=True)
        cross = None if self.cross is None else add(self.cross)
        return CellMoments(keys, add(self.count), self.measures, add(self.m), self.cross_items, cross)

    @staticmethod
    def concat(parts: Sequence[CellMoments]) -> CellMoments:
        """Stack parts (same keys, measures, cross items) and reduce: partitions -> one table."""
        if not parts:
            raise ValueError("concat: no parts")
        head = parts[0]
        for p in parts[1:]:
            if (p.measures != head.measures or p.cross_items != head.cross_items
                    or list(p.keys.columns) != list(head.keys.columns)):
                raise ValueError("concat: parts differ in key columns, measures or cross items")
        keys = pd.concat([p.keys for p in parts], ignore_index=True)
        cross = np.concatenate([p.cross for p in parts]) if head.cross is not None else None
        whole = CellMoments(keys, np.concatenate([p.count for p in parts]), head.measures,
                            np.concatenate([p.m for p in parts]), head.cross_items, cross)
        return whole.reduce()

    def subset(self, mask: np.ndarray) -> CellMoments:
        """The cells where ``mask`` (boolean or indices) holds."""
        idx = np.arange(self.n_cells)[np.asarray(mask)]
        cross = None if self.cross is None else self.cross[idx]
        return CellMoments(self.keys.iloc[idx].reset_index(drop=True), self.count[idx],
                           self.measures, self.m[idx], self.cross_items, cross)

    def pick(self, measures: Sequence[str]) -> CellMoments:
        """Keep some measures, in the order given (cross moments kept)."""
        pos = {name: j for j, name in enumerate(self.measures)}
        missing = [name for name in measures if name not in pos]
        if missing:
            raise ValueError(f"pick: no measure {missing[0]!r} in the cell moments")
        j = [pos[name] for name in measures]
        return CellMoments(self.keys, self.count, tuple(measures), self.m[:, j], self.cross_items,
                           self.cross)

    def pack(self, i: int) -> bytes:
        """Cell i's numbers (count, m, cross) as bytes, float64 little-endian."""
        parts = [np.array([self.count[i]], "<f8"), self.m[i].astype("<f8").ravel()]
        if self.cross is not None:
            parts.append(self.cross[i].astype("<f8").ravel())
        return np.concatenate(parts).tobytes()

    @staticmethod
    def unpack(keys: pd.DataFrame, blobs: Sequence[bytes], measures: Sequence[str],
               cross_items: Sequence[str] = ()) -> CellMoments:
        """Inverse of :meth:`pack`: one blob per row of ``keys``."""
        m_n, k = len(measures) * len(MOMENTS), len(cross_items)
        size = 1 + m_n + 3 * k * k
        flat = np.frombuffer(b"".join(blobs), "<f8").astype(float)
        if flat.size != size * len(blobs) or len(blobs) != len(keys):
            raise ValueError(f"unpack: expected {len(keys)} blobs of {size * 8} bytes")
        flat = flat.reshape(len(blobs), size)
        m = flat[:, 1:1 + m_n].reshape(-1, len(measures), len(MOMENTS))
        cross = flat[:, 1 + m_n:].reshape(-1, 3, k, k) if k else None
        count = flat[:, 0].round().astype(np.int64)
        return CellMoments(keys.reset_index(drop=True), count, tuple(measures), m, tuple(cross_items),
                           cross)


def key_codes(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Compact cell code per row (NaN is a value) and the first row of each code."""
    n = len(keys)
    code = np.zeros(n, dtype=np.int64)
    for col in keys.columns:
        c, u = pd.factorize(keys[col], use_na_sentinel=False)
        code, _ = _compact(code * max(len(u), 1) + c)
    first = np.full(int(code.max()) + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, code, np.arange(n))
    return code, first


def item_states(frame: pd.DataFrame, items: Sequence[str], satisfied: Sequence[float] = (4, 5),
                codes: Sequence[float] | None = None) -> dict[str, np.ndarray]:
    """int8 per row and item: 0 blank, 1 answered not satisfied, 2 satisfied (as prepare())."""
    sat = np.asarray(list(satisfied), dtype=float)
    if sat.size == 0:
        raise ValueError("the satisfied set is empty")
    allowed = None if codes is None else np.asarray(list(codes), dtype=float)
    out = {}
    for col in items:
        x = numeric(frame, col, "item")
        if allowed is not None:
            _check_codes(frame, col, x, allowed)
        st = np.isin(x, sat).view(np.int8)
        st += ~np.isnan(x)
        out[col] = st
    return out


def cell_moments(keys: pd.DataFrame, states: Mapping[str, np.ndarray], *,
                 pooled: Mapping[str, Sequence[str]] | None = None,
                 cross: Sequence[str] = ()) -> CellMoments:
    """One pass over the rows: measures = list(states) (items), then one measure per pooled group
    (s = Σ satisfied over its items, a = Σ answered); cross moments over the ``cross`` items.
    ``keys`` has one row per respondent (the key columns)."""
    n = len(keys)
    pooled = dict(pooled or {})
    for name, st in states.items():
        if np.shape(st) != (n,):
            raise ValueError(f"item {name!r}: {np.shape(st)} states for {n} rows")
    for name, members in pooled.items():
        bad = [c for c in members if c not in states]
        if bad:
            raise ValueError(f"pooled group {name!r} names {bad[0]!r}, which has no states")
        if name in states:
            raise ValueError(f"pooled group name {name!r} clashes with an item")
    bad = [c for c in cross if c not in states]
    if bad:
        raise ValueError(f"cross item {bad[0]!r} has no states")
    cell, first = key_codes(keys)
    n_c = first.size
    count = np.bincount(cell, minlength=n_c)
    measures = list(states) + list(pooled)
    m = np.zeros((n_c, len(measures), len(MOMENTS)))
    cell3 = cell * 3
    for j, st in enumerate(states.values()):
        t = np.bincount(cell3 + st, minlength=3 * n_c).reshape(n_c, 3)
        answered, sat = t[:, 1] + t[:, 2], t[:, 2]  # s = s² = s·a, a = a² = n for 0/1 values
        m[:, j] = np.stack([answered, sat, answered, sat, sat, answered], axis=1)
    for j, members in enumerate(pooled.values(), start=len(states)):
        small = np.int16 if len(members) < 32767 else np.int64
        s, a = np.zeros(n, small), np.zeros(n, small)
        for c in members:
            s += states[c] == 2
            a += states[c] > 0
        s, a = s.astype(float), a.astype(float)
        for k, v in enumerate((a > 0, s, a, s * s, s * a, a * a)):
            m[:, j, k] = np.bincount(cell, v, n_c)
    xm = _cross(cell, n_c, [states[c] for c in cross]) if cross else None
    return CellMoments(keys.iloc[first].reset_index(drop=True), count, tuple(measures), m,
                       tuple(cross), xm)


def _cross(cell: np.ndarray, n_c: int, states: list[np.ndarray]) -> np.ndarray:
    """(cells, 3, K, K) Σ y_p y_q, Σ y_p a_q, Σ a_p a_q from float32 products Zᵀ Z (Z = [y | a],
    rows × 2K of 0/1; float32 sums of 0/1 are exact below 2**24 rows, far above a block).

    Rows are sorted by cell.  A large cell takes one product per block of rows; small cells are
    grouped by size (padded with zero rows to the next power of two) and multiplied as a stack,
    so the Python loop runs per block, not per cell."""
    k, n = len(states), cell.size
    order = np.argsort(cell, kind="stable")
    st = np.vstack(states)[:, order].T.copy()  # (n, K) int8, rows sorted by cell
    sc = cell[order]
    out = np.zeros((n_c, 3, k, k))  # (C·3K² float64: the largest array here)

    def add(c, zz):  # Zᵀ Z = [[yy, ya], [ay, aa]]
        out[c, 0] += zz[..., :k, :k]
        out[c, 1] += zz[..., :k, k:]
        out[c, 2] += zz[..., k:, k:]

    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]]) if n else sc
    sizes = np.diff(np.r_[starts, n])
    big = sizes > _SMALL
    for lo, size in zip(starts[big].tolist(), sizes[big].tolist()):
        c = sc[lo]
        for a in range(lo, lo + size, _BLOCK):
            z = _z(st[a:min(lo + size, a + _BLOCK)], k)
            add(c, np.einsum("li,lj->ij", z, z))  # einsum: BLAS threads cost more here
    width = 1 << np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    for L in np.unique(width[~big]).tolist():
        pick = np.flatnonzero(~big & (width == L))
        step = max(1, _BLOCK // L)
        for a in range(0, pick.size, step):
            seg = pick[a:a + step]
            offs = np.arange(L)
            idx = starts[seg][:, None] + offs  # (S, L) rows, padded past the cell's end
            pad = offs >= sizes[seg][:, None]
            z = _z(st[np.minimum(idx, n - 1)], k)  # (S, L, 2K)
            z[pad] = 0.0
            add(sc[starts[seg]], np.einsum("sli,slj->sij", z, z))
    return out


def _z(st: np.ndarray, k: int) -> np.ndarray:
    """[y | a] as float32 from int8 states (last axis: items)."""
    z = np.empty((*st.shape[:-1], 2 * k), np.float32)
    np.equal(st, 2, out=z[..., :k], casting="unsafe")
    np.greater(st, 0, out=z[..., k:], casting="unsafe")
    return z
