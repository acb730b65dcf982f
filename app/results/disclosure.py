"""Complementary suppression: no published breakdown lets a hidden small group be recovered.

A figure for fewer than MIN_GROUP_SIZE respondents is never shown (primary suppression). That is
not enough when the same figures are published by several breakdowns: an agency's total minus its
published channels gives the hidden channel back (differencing). Every table the platform can
publish is a grouping of the wave's finest cells, agency × channel × language × service field
(× processing unit, in waves where some dossier was processed by another unit than the one that
received it; block is a grouping of agencies), so the hidden cells are decided once per measure
for all 24 (48) tables (agency level none / block / agency × every subset of the others), jointly:

* in every margin (a published parent cell and its children along one dimension) the hidden
  children are either none, or at least two whose respondents number at least MIN_GROUP_SIZE
  together; otherwise the next-smallest published child is hidden too (and the parent when it
  has no other child to hide);
* a hidden parent keeps at least one hidden child in every split, so that it is not their sum;
* repeated until no margin changes (hiding only ever adds cells, so it ends).

Counts (n) stay published: figures (rates, intervals) are what is hidden. Patterns are cached
per snapshot. tests/app/test_disclosure.py solves the published margins by linear programming
and finds no hidden cell determined. (This lives in app/results, not analysis/, because it
decides what the app publishes.)
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from flask import current_app

from app.results import rolled
from app.results.filters import service_fields
from app.results.snapshot import Snapshot

LEVELS = (None, "block", "agency")
# processing_unit: the unit that processed the dossier (the receiving agency where none is named);
# a dimension of the finest cells only in waves where some response names another unit
OTHERS = ("channel", "language", "service_field", "processing_unit")
FIGURES = ("rate", "se", "ci_lower", "ci_upper", "deff", "n_eff")
MISSING = ""  # a respondent with no service field: in no published cell of that dimension


def minimum() -> int:
    """MIN_GROUP_SIZE: the smallest group whose figures are published."""
    return current_app.config["MIN_GROUP_SIZE"]


def small(n, least: int):
    """THE primary rule (scalar or array): a figure about 1 to ``least`` − 1 respondents is never
    published, whether it is an agency's, a filter cell's, or the province's own when a wave has
    just begun. Every page, report, download and API answer applies it through the functions below,
    which mark rows ``suppressed`` (and ``small`` when the rule itself hid them) for the templates
    and exports to read."""
    return (n > 0) & (n < least)


def too_small(n) -> bool:
    if n is None or n != n:
        return False
    return bool(small(n, minimum()))


def table_key(dims: Sequence[str]) -> tuple[str, ...]:
    """A table's dimensions in canonical order (block dropped when agency is there)."""
    dims = set(dims)
    if "agency" in dims:
        dims.discard("block")
    return tuple(d for d in ("block", "agency", *OTHERS) if d in dims)


def label(value) -> str:
    """A cell value as text: service fields come back from estimates as floats (3.0 → "3")."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def tables(others: Sequence[str]) -> list[tuple[str, ...]]:
    out = []
    for level in LEVELS:
        for size in range(len(others) + 1):
            for subset in combinations(others, size):
                out.append(table_key([*([level] if level else []), *subset]))
    return out


class Pattern:
    """The hidden cells of every table for one measure's finest-cell counts."""

    def __init__(self, cells: pd.DataFrame, counts: np.ndarray, minimum: int,
                 structure: dict[tuple, tuple[np.ndarray, pd.DataFrame]] | None = None):
        self.minimum = minimum
        structure = structure if structure is not None else table_structure(cells)
        self.codes: dict[tuple, np.ndarray] = {}
        self.labels: dict[tuple, pd.DataFrame] = {}
        self.n: dict[tuple, np.ndarray] = {}
        self.hidden: dict[tuple, np.ndarray] = {}
        for key, (codes, labels) in structure.items():
            self.codes[key], self.labels[key] = codes, labels
            self.n[key] = np.bincount(codes, counts, len(labels)).round().astype(np.int64)
            missing = np.zeros(len(labels), dtype=bool)
            if "service_field" in key:
                missing = (labels["service_field"] == MISSING).to_numpy()
            # never published: below the threshold, or the "no service field" group (no row for it)
            self.hidden[key] = small(self.n[key], minimum) | missing
        self.margins = [(child, parent, self._up(child, parent)) for child in self.codes
                        for parent in self._parents(child)]
        self._settle()
        self._lookups: dict[tuple, dict[tuple, bool]] = {}  # built when a table is first read

    @staticmethod
    def _parents(key: tuple) -> list[tuple]:
        out = [table_key([d for d in key if d != dim]) for dim in key if dim != "agency"]
        if "agency" in key:
            out.append(table_key(["block" if d == "agency" else d for d in key]))
        return out

    def _up(self, child: tuple, parent: tuple) -> np.ndarray:
        up = np.zeros(len(self.labels[child]), dtype=np.int64)
        up[self.codes[child]] = self.codes[parent]
        return up

    def _settle(self) -> None:
        changed = True
        while changed:
            changed = False
            for child, parent, up in self.margins:
                changed |= self._margin(child, parent, up)

    def _margin(self, child: tuple, parent: tuple, up: np.ndarray) -> bool:
        hid, n, groups = self.hidden[child], self.n[child], len(self.n[parent])
        live = n > 0
        count = np.bincount(up, hid & live, groups)
        total = np.bincount(up, live, groups)
        size = np.bincount(up, np.where(hid, n, 0), groups)
        parent_hidden = self.hidden[parent]
        # published parent: hidden children none, or ≥ 2 of them with ≥ minimum respondents together
        short = ~parent_hidden & (count > 0) & ((count < 2) | (size < self.minimum))
        # hidden parent: not the sum of published children, nor tied to a single hidden one
        short |= parent_hidden & (count < np.minimum(total, 2))
        if not short.any():
            return False
        candidates = np.flatnonzero(short[up] & ~hid & live)
        stuck = short & (count == total)  # nothing left to hide: hide the parent instead
        if stuck.any():
            self.hidden[parent] = parent_hidden | (stuck & (self.n[parent] > 0))
        if len(candidates):
            order = candidates[np.lexsort((n[candidates], up[candidates]))]
            first = order[np.r_[True, up[order][1:] != up[order][:-1]]]  # the smallest in each group
            hid[first] = True
        return bool(len(candidates) or (stuck & ~parent_hidden).any())

    def _index(self, key: tuple) -> dict[tuple, bool]:
        labels = self.labels[key]
        rows = labels.itertuples(index=False, name=None) if key else [()]
        return dict(zip(rows, self.hidden[key].tolist(), strict=True))

    def is_hidden(self, key: tuple, cell: tuple) -> bool:
        if key not in self._lookups:
            self._lookups[key] = self._index(key)
        return self._lookups[key].get(cell, False)

    @property
    def lookup(self) -> dict[tuple, np.ndarray]:
        """The tables this pattern covers (``key in pattern.lookup``)."""
        return self.hidden


def finest_cells(data: pd.DataFrame, others: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct finest cells and each respondent's cell."""
    parts = {"agency": data["agency"].astype(str), "block": data["block"].astype(str)}
    for dim in others:
        parts[dim] = data[dim].map(label) if dim == "service_field" else data[dim].astype(str)
    keys = pd.DataFrame(parts)
    codes, cells = _factorize(keys, ["agency", *others])
    blocks = dict(zip(keys["agency"], keys["block"], strict=False))
    cells.insert(0, "block", cells["agency"].map(blocks))
    return cells, np.asarray(codes)


def table_structure(cells: pd.DataFrame) -> dict[tuple, tuple[np.ndarray, pd.DataFrame]]:
    """For every publishable table, each finest cell's row in it and the table's rows. The same
    for every measure, so worked out once per wave (grouping is most of the cost)."""
    others = [d for d in OTHERS if d in cells.columns]
    out = {}
    for key in tables(others):
        if key:
            codes, labels = _factorize(cells, list(key))
        else:
            codes, labels = np.zeros(len(cells), dtype=np.int64), pd.DataFrame(index=[0])
        out[key] = (np.asarray(codes), labels)
    return out


def _factorize(data: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Codes of the distinct rows of some columns and those rows, both in order of first appearance."""
    codes = data.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    return codes, data[columns].drop_duplicates().reset_index(drop=True)


def patterns(cells: pd.DataFrame, codes: np.ndarray, answered: dict[str, np.ndarray],
             minimum: int) -> dict[str, Pattern]:
    """One Pattern per measure (measures with the same finest counts share one); ``answered``
    holds per row of ``codes`` (a respondent, or a cell of the roll-ups) how many count in the
    measure's n (a mask, or counts)."""
    out, shared = {}, {}
    structure = table_structure(cells)
    for measure, mask in answered.items():
        counts = np.bincount(codes, np.asarray(mask, dtype=float), len(cells))
        digest = counts.tobytes()
        if digest not in shared:
            shared[digest] = Pattern(cells, counts, minimum, structure)
        out[measure] = shared[digest]
    return out


def suppress(table: pd.DataFrame, dims: Sequence[str], found: dict[str, Pattern]) -> pd.DataFrame:
    """``table`` (estimates rows: dims, measure, n, rate, ...) with ``suppressed`` and ``small``
    columns and the figures of suppressed rows blanked. Measures without a pattern are judged by n
    alone."""
    table = table.copy()
    cells, dims = _as_agencies(table, dims, found)
    key = table_key(dims)
    smalls, flags = [], []
    columns = [*key, "measure", "n"]
    for values in cells[columns].itertuples(index=False, name=None):
        *cell, measure, n = values
        pattern = found.get(measure)
        smalls.append(too_small(n))
        flags.append(smalls[-1] or (pattern is not None and key in pattern.lookup
                                    and pattern.is_hidden(key, tuple(label(v) for v in cell))))
    table["suppressed"] = np.array(flags, dtype=bool) if flags else np.zeros(0, dtype=bool)
    table["small"] = np.array(smalls, dtype=bool) if smalls else np.zeros(0, dtype=bool)
    for column in FIGURES:
        if column in table.columns:
            table[column] = table[column].astype(float)
            table.loc[table["suppressed"], column] = np.nan
    return table


def _as_agencies(table: pd.DataFrame, dims: Sequence[str], found: dict[str, Pattern]
                 ) -> tuple[pd.DataFrame, list[str]]:
    """A processing-unit table of a wave where every dossier was processed by the unit that
    received it is the agency table again (the patterns leave it out): read as that one, so that
    what the agency table hides it hides too."""
    dims = list(dims)
    key = table_key(dims)
    if "processing_unit" not in dims or all(key in p.lookup for p in found.values()):
        return table, dims
    if "agency" in dims:
        return table, [d for d in dims if d != "processing_unit"]
    return table.assign(agency=table["processing_unit"]), ["agency" if d == "processing_unit" else d for d in dims]


def wave_patterns(snap: Snapshot) -> dict[str, Pattern]:
    """The wave's hidden cells per measure, per snapshot."""
    least = minimum()

    def build() -> dict[str, Pattern]:
        keys, counts = rolled.answered(snap)  # per cell of the roll-ups: respondents in each n
        if keys.empty:
            return {}
        others = [d for d in OTHERS if (d != "service_field" or service_fields(snap.wave))
                  and (d != "processing_unit" or _processed_elsewhere(keys))]
        cells, codes = finest_cells(keys, others)
        return patterns(cells, codes, counts, least)

    return snap.cached("disclosure", build, least)


def _processed_elsewhere(keys: pd.DataFrame) -> bool:
    """Whether some cell's processing unit is not its receiving agency (else the processing-unit
    tables are the agency tables again, hidden alike)."""
    return "processing_unit" in keys.columns and bool((keys["processing_unit"] != keys["agency"]).any())


def protect(snap: Snapshot, table: pd.DataFrame, dims: Sequence[str]) -> pd.DataFrame:
    """An estimates table as it may be published (see module docstring)."""
    if table.empty:
        out = table.copy()
        out["suppressed"] = pd.Series(dtype=bool)
        out["small"] = pd.Series(dtype=bool)
        return out
    return suppress(table, dims, wave_patterns(snap))


def published_row(snap: Snapshot, measure: str, cell: dict[str, str], row: dict | None) -> dict | None:
    """One figure computed outside the estimates tables (late results, apology letters, Decision
    766, an expectation area) as it may be published: the same rule as ``suppress``, so its
    ``suppressed`` and ``small`` flags are set and its figures blanked for a small group or a
    complement."""
    if row is None:
        return None
    out = dict(row)
    n = out.get("n")
    out["small"] = too_small(n)
    # nobody in the base (e.g. no late result yet): no figure to show either
    out["suppressed"] = not n or n != n or out["small"] or hidden_domain(snap, measure, cell)
    if out["suppressed"]:
        for column in FIGURES:
            if column in out:
                out[column] = float("nan")
    return out


def hidden_domain(snap: Snapshot, measure: str, values: dict[str, str]) -> bool:
    """Whether one cell (e.g. a dashboard filter: {"channel": "kiosk"}) is hidden for a measure."""
    found = wave_patterns(snap).get(measure)
    if found is None:
        return False
    key = table_key(list(values))
    return key in found.lookup and found.is_hidden(key, tuple(label(values[d]) for d in key))
