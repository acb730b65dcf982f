"""Releases of one wave compared with each other: no small group of answers that came in (or were
excluded) between two releases can be worked out by subtracting one from the other.

Each release is safe on its own (app.results.disclosure). Two releases of a wave are not: if unit
A was published with n = 50 in release 1 and n = 53 in release 2, the two figures give the three
new answers away (n₂·p₂ − n₁·p₁ satisfied among them), and so does any total that contains them,
such as A's block less its other published units. So, per measure, a new release also hides:

* a figure whose n moved by fewer than MIN_GROUP_SIZE since an earlier release, unless it did not
  move and that release published it (a figure stays as published, or hidden, until it moved by
  MIN_GROUP_SIZE since every earlier release);
* complements. A release's rows are a tree (province, blocks, units), so what its published rows
  say about hidden units is a set of sums: the hidden units of each published block, and, under a
  published province, the hidden units of the hidden blocks. (A unit that no answer moved since a
  release that published it counts as published: its figure is that one.) Each such set must hold
  two units or more; its n must have moved by none or at least MIN_GROUP_SIZE since every earlier
  release; and where it did not move at all, that release must have known the same sum (else the
  new release hands out an old hidden sum). A set that fails takes another unit of its scope (the
  one that moved by MIN_GROUP_SIZE or more, smallest first), else a published block that hides
  units, else its parent; until every set passes (hiding only adds, so it ends).

Earlier releases count whether published, pending or withdrawn (a withdrawn release may have been
downloaded). Figures are treated as counts (n × rate), which weighted rates nearly are. A group
whose answers are all satisfied (or none) is given away by the bounds alone whatever is hidden,
here as in a single release. tests/app/test_open_data_increments.py solves up to four releases as
one linear system (unknowns: each unit's satisfied count per period between releases) and finds no
group of 1 to MIN_GROUP_SIZE − 1 answers determined; 600 random trees of 3–12 units in up to four
blocks and up to five releases passed when this was written.
"""
from __future__ import annotations

from collections.abc import Sequence

Key = tuple[str, str, str, str]  # table, block, agency, measure
Earlier = tuple[dict[Key, int], set[Key]]  # an earlier release's n per figure, and what it published


def key(row: dict) -> Key:
    return row["table"], row["block"], row["agency"], row["measure"]


def hide_changes(rows: list[dict], earlier: Sequence[Sequence[dict]], least: int) -> set[Key]:
    """Hide in ``rows`` (a new release's, in place) what a comparison with the ``earlier`` releases
    would give away; returns the keys hidden for that reason."""
    if not earlier:  # a first release: its own suppression (app.results.disclosure) is all it needs
        return set()
    before = [({key(r): int(r["n"]) for r in old}, {key(r) for r in old if not r["suppressed"]}) for old in earlier]
    added: set[Key] = set()
    for measure in sorted({r["measure"] for r in rows}):
        added |= Tree([r for r in rows if r["measure"] == measure], before, least).hide()
    for row in rows:
        if key(row) in added:
            row.update(suppressed=True, estimate=None, se=None, ci_lower=None, ci_upper=None)
    return added


class Tree:
    """One measure's rows of a new release, against the earlier releases."""

    def __init__(self, rows: list[dict], before: list[Earlier], least: int):
        self.n = {key(r): int(r["n"]) for r in rows}
        self.shown = {key(r) for r in rows if not r["suppressed"]}
        self.units = [k for k in self.n if k[0] == "agency"]
        self.blocks = [k for k in self.n if k[0] == "block"]
        self.province = next((k for k in self.n if k[0] == "province"), None)
        self.before, self.least = before, least
        # what each earlier release said about sums of its hidden units
        self.earlier_sums = [[set(g) for _, g in self.sums(shown, shown)] for _, shown in before]

    def moved(self, keys, old_n: dict[Key, int]) -> int:
        return abs(sum(self.n[k] for k in keys) - sum(old_n.get(k, 0) for k in keys))

    def hide(self) -> set[Key]:
        added = {k for k in self.shown for old_n, old_shown in self.before
                 if k in old_n and self.moved([k], old_n) < self.least
                 and (self.moved([k], old_n) or k not in old_shown)}
        self.shown -= added
        unchanged = {u for u in self.units for old_n, old_shown in self.before
                     if u in old_shown and self.moved([u], old_n) == 0}
        while True:
            known = (self.shown & set(self.units)) | unchanged
            failing = next(((parent, group) for parent, group in self.sums(self.shown, known)
                            if self.given_away(group)), None)
            if failing is None:
                return added
            extra = self.complement(failing[0], known, unchanged)
            if extra is None:
                return added
            self.shown.discard(extra)
            added.add(extra)

    def open_blocks(self, visible: set[Key], known: set[Key]) -> list[Key]:
        """Hidden blocks whose units are not all known (a block of known units is known)."""
        return [b for b in self.blocks if b not in visible and any(u not in known for u in self.units if u[1] == b[1])]

    def sums(self, visible: set[Key], known: set[Key]) -> list[tuple[Key, list[Key]]]:
        """(parent, hidden units) whose figures add up to something the rows let one work out."""
        hidden_blocks = {b[1] for b in self.open_blocks(visible, known)}
        out = [(b, [u for u in self.units if u[1] == b[1] and u not in known])
               for b in self.blocks if b[1] not in hidden_blocks]
        if self.province is not None and (self.province in visible or not hidden_blocks):
            out.append((self.province, [u for u in self.units if u[1] in hidden_blocks and u not in known]))
        return [(parent, group) for parent, group in out if group]

    def given_away(self, group: list[Key]) -> bool:
        """One figure; a change by a few answers since an earlier release; or no change since a
        release that did not know this sum."""
        if len(group) < 2:
            return True
        members = set(group)
        for (old_n, old_shown), old_sums in zip(self.before, self.earlier_sums):
            change = self.moved(group, old_n)
            if 0 < change < self.least:
                return True
            if change == 0 and not members <= old_shown.union(*(s for s in old_sums if s <= members)):
                return True
        return False

    def complement(self, parent: Key, known: set[Key], unchanged: set[Key]) -> Key | None:
        """What to hide next for a failing sum under ``parent``."""
        if parent[0] == "province":
            scope = {b[1] for b in self.open_blocks(self.shown, known)}
        else:
            scope = {parent[1]}
        units = sorted((min(self.moved([u], old_n) for old_n, _ in self.before) < self.least, self.n[u], u)
                       for u in self.units if u[1] in scope and u in self.shown and u not in unchanged)
        if units:
            return units[0][2]
        if parent[0] == "province":
            blocks = sorted((self.n[b], b) for b in self.blocks if b in self.shown and b[1] not in scope
                            and any(u not in known for u in self.units if u[1] == b[1]))
            if blocks:
                return blocks[0][1]
        return parent if parent in self.shown else None
