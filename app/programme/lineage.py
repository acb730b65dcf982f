"""The algebra of reorganisations, on plain values (no database): which units a unit comes from
and in what shares, and how totals move across a reorganisation.

An edge ``(old, new, share, effective_on)`` says that ``share`` of the old unit's transactions (or
population) went to the new unit on ``effective_on``; an old unit's shares sum to 1. A merge is
several old units with one edge each of share 1 to the same new unit; a split is one old unit
with several edges.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

TOLERANCE = 1e-9


@dataclass(frozen=True)
class Edge:
    old: Hashable
    new: Hashable
    share: float
    effective_on: date


def share_errors(edges: Iterable[Edge]) -> dict[Hashable, float]:
    """Old units whose shares do not sum to 1, with their sum."""
    sums: dict[Hashable, float] = defaultdict(float)
    for e in edges:
        sums[e.old] += e.share
    return {old: total for old, total in sums.items() if abs(total - 1.0) > TOLERANCE}


def allocate(totals: Mapping[Hashable, float], edges: Iterable[Edge]) -> dict[Hashable, float]:
    """Totals of the units after one reorganisation: each old unit's total is shared out along
    its edges; units without edges keep theirs. The grand total is conserved when shares sum to 1."""
    edges = list(edges)
    moved = {e.old for e in edges}
    out: dict[Hashable, float] = defaultdict(float)
    for unit, total in totals.items():
        if unit not in moved:
            out[unit] += total
    for e in edges:
        out[e.new] += totals.get(e.old, 0.0) * e.share
    return dict(out)


def ancestry(unit: Hashable, edges: Iterable[Edge], stop: Callable[[Hashable], bool],
             depth: int = 12, missing: list | None = None) -> dict[Hashable, float]:
    """The units ``unit`` comes from, with composed shares: follow edges backwards from ``unit``
    until ``stop(u)`` holds (a unit that has data, or existed at the date asked for); a unit with
    no predecessors that does not stop is left out (and appended to ``missing`` if given: the
    ancestry is then incomplete). The share of an ancestor is the part of its
    transactions that ends up in ``unit``, summed over paths (split then merge back: 1)."""
    into: dict[Hashable, list[Edge]] = defaultdict(list)
    for e in edges:
        into[e.new].append(e)
    found: dict[Hashable, float] = defaultdict(float)

    def walk(u: Hashable, share: float, left: int) -> None:
        if stop(u):
            found[u] += share
            return
        if left == 0 or not into.get(u):
            if missing is not None:
                missing.append(u)
            return
        for e in into.get(u, ()):
            walk(e.old, share * e.share, left - 1)

    if stop(unit):
        return {unit: 1.0}
    for e in into.get(unit, ()):
        walk(e.old, e.share, depth)
    return {u: s for u, s in found.items() if s > TOLERANCE}


def breaks(unit: Hashable, edges: Iterable[Edge], depth: int = 12) -> list[date]:
    """The dates of every reorganisation in ``unit``'s ancestry, oldest first."""
    into: dict[Hashable, list[Edge]] = defaultdict(list)
    for e in edges:
        into[e.new].append(e)
    days: set[date] = set()
    frontier, seen = [unit], set()
    for _ in range(depth):
        nxt = []
        for u in frontier:
            if u in seen:
                continue
            seen.add(u)
            for e in into.get(u, ()):
                days.add(e.effective_on)
                nxt.append(e.old)
        frontier = nxt
    return sorted(days)


def parents(edges: Iterable[Edge]) -> dict[Hashable, list[Hashable]]:
    """new unit -> its old units: build once, pass to ``ancestors`` for many units."""
    into: dict[Hashable, list[Hashable]] = defaultdict(list)
    for e in edges:
        into[e.new].append(e.old)
    return into


def ancestors(unit: Hashable, edges: Iterable[Edge] | Mapping[Hashable, list[Hashable]]) -> set[Hashable]:
    """Every unit ``unit`` comes from, however far back (a unit in a cycle is its own ancestor);
    ``edges`` may be ``parents(edges)`` already."""
    into = edges if isinstance(edges, Mapping) else parents(edges)
    seen: set[Hashable] = set()
    todo = [unit]
    while todo:
        for parent in into.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def is_exact(shares: Mapping[Hashable, float]) -> bool:
    """Whole old units only (every composed share 1): the pooled estimate is exact."""
    return bool(shares) and all(abs(s - 1.0) <= TOLERANCE for s in shares.values())
