"""Two releases of one wave solved together: the answers that came in between them cannot be worked
out for a group smaller than MIN_GROUP_SIZE (app/opendata/increments.py).

Weights are 1, so a published rate × n is a count of satisfied respondents. The unknowns are, per
unit, the satisfied counts among the answers of release 1 and among those added since (between 0
and their number); every published figure of either release is an equation. For every group of
units whose added answers number 1 to MIN_GROUP_SIZE − 1, linear programming finds the least and
the greatest count of satisfied among them: it must not be determined.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy.optimize import linprog

from app.collect import store
from app.extensions import db
from app.opendata import increments
from app.programme.questionnaires import questionnaire_of
from tests import factories
from tests.app.test_disclosure import MEASURES

UNITS = {"A0": "departments", "A1": "departments", "A2": "departments",
         "A3": "districts", "A4": "districts", "A5": "districts"}
ADDED = {"A0": 3, "A1": 0, "A2": 25, "A3": 13, "A4": 12, "A5": 0}  # answers between the releases


def answer(wave, agencies, code: str, rng, counts: dict) -> None:
    answers = dict(factories.satisfied_answers(questionnaire_of(wave.survey_version)))
    for measure in MEASURES:
        answers[measure] = int(rng.integers(1, 6))
        counts[(code, measure)] += answers[measure] >= 4
    store.store(wave, agencies[code], answers, channel="paper", language="vi")


def release(client, slug: str, number: int) -> dict:
    client.post(f"/admin/waves/{slug}/open-data")
    client.post(f"/admin/waves/{slug}/open-data/{number}/publish")
    return client.get(f"/open/{slug}/{number}.json").get_json()


def two_releases(client, login_as):
    rng = np.random.default_rng(7)
    agencies = {code: factories.agency(code, block=block) for code, block in UNITS.items()}
    wave = factories.wave("twice", agency_list=list(agencies.values()))
    old = {(c, m): 0 for c in UNITS for m in MEASURES}
    new = dict(old)
    for code in UNITS:
        for _ in range(30):
            answer(wave, agencies, code, rng, old)
    db.session.commit()
    login_as("admin")
    first = release(client, wave.slug, 1)
    for code, count in ADDED.items():
        for _ in range(count):
            answer(wave, agencies, code, rng, new)
    db.session.commit()
    return first, release(client, wave.slug, 2), old, new


def ranges(first: dict, second: dict, measure: str) -> dict[tuple[str, ...], tuple[float, float]]:
    """For every group of units with 1..MIN_GROUP_SIZE-1 added answers: (least, greatest) satisfied
    among them consistent with both releases."""
    codes = list(UNITS)
    size = len(codes)
    bounds = [(0, 30)] * size + [(0, ADDED[c]) for c in codes]  # x_old per unit, then x_added
    equations, values = [], []
    for body, with_added in ((first, False), (second, True)):
        for row in body["rows"]:
            if row["measure"] != measure or row["suppressed"]:
                continue
            member = np.array([row["table"] == "province" or (row["table"] == "block" and UNITS[c] == row["block"])
                               or (row["table"] == "agency" and c == row["agency"]) for c in codes], dtype=float)
            equations.append(np.concatenate([member, member if with_added else np.zeros(size)]))
            values.append(row["estimate"] * row["n"])
    out = {}
    for k in range(1, size + 1):
        for group in combinations(range(size), k):
            added = sum(ADDED[codes[i]] for i in group)
            if not 0 < added < 10:
                continue
            target = np.zeros(2 * size)
            target[[size + i for i in group]] = 1
            low = linprog(target, A_eq=np.array(equations), b_eq=np.array(values), bounds=bounds, method="highs")
            high = linprog(-target, A_eq=np.array(equations), b_eq=np.array(values), bounds=bounds, method="highs")
            assert low.status == 0 and high.status == 0
            out[tuple(codes[i] for i in group)] = (low.fun, -high.fun)
    return out


@pytest.mark.slow
def test_the_answers_added_between_two_releases_cannot_be_recovered(client, app, login_as):
    first, second, old, new = two_releases(client, login_as)
    assert not any(r["suppressed"] for r in first["rows"])  # release 1: every unit has 30 answers
    hidden = {(r["table"], r["agency"] or r["block"]) for r in second["rows"] if r["suppressed"]}
    shown = {(r["table"], r["agency"] or r["block"]) for r in second["rows"] if not r["suppressed"]}
    # A0: 3 answers added (n 30 → 33): hidden with a complement in its block (A2, 25 added); the
    # block is then the sum of two hidden units that moved by 28 together, and the rest stays
    assert {a for t, a in hidden if t == "agency"} == {"A0", "A2"}
    assert {("agency", "A1"), ("agency", "A3"), ("agency", "A4"), ("agency", "A5"), ("province", ""),
            ("block", "departments"), ("block", "districts")} <= shown
    for measure in MEASURES:
        solved = ranges(first, second, measure)
        assert ("A0",) in solved
        assert {group: r for group, r in solved.items() if r[1] - r[0] < 1 - 1e-6} == {}
    assert sum(new.values()) > 0 and sum(old.values()) > 0


@pytest.mark.slow
def test_without_the_comparison_the_second_release_gives_the_three_answers_away(client, app, login_as, monkeypatch):
    """The check above has teeth: each release safe on its own, together they leak."""
    monkeypatch.setattr(increments, "hide_changes", lambda rows, earlier, least: set())
    first, second, _, new = two_releases(client, login_as)
    for measure in MEASURES:
        low, high = ranges(first, second, measure)[("A0",)]
        assert high - low < 1e-6 and round(low) == new[("A0", measure)]


def rows_of(ns: dict, hidden: set = frozenset()) -> list[dict]:
    return [{"table": table, "block": block, "agency": agency, "measure": "overall", "n": n,
             "suppressed": (table, block, agency) in hidden}
            for (table, block, agency), n in ns.items()]


def test_a_unit_that_moved_by_a_few_answers_is_hidden_with_a_complement_and_unmoved_units_stay():
    before = {("province", "", ""): 120, ("block", "d", ""): 60, ("block", "c", ""): 60,
              ("agency", "d", "A"): 30, ("agency", "d", "B"): 30, ("agency", "c", "C"): 30, ("agency", "c", "D"): 30}
    after = {**before, ("province", "", ""): 154, ("block", "d", ""): 64, ("block", "c", ""): 90,
             ("agency", "d", "A"): 34, ("agency", "c", "C"): 42, ("agency", "c", "D"): 48}
    rows = rows_of(after)
    hidden = increments.hide_changes(rows, [rows_of(before)], least=10)
    names = {k[2] or k[1] or k[0] for k in hidden}
    # A moved by 4: hidden, and so is its block d (4). B did not move, so it cannot be a complement
    # (its figure is release 1's): the province less c is A + B, so the province goes too
    assert names == {"A", "d", "province"}, names
    assert all(r["estimate"] is None for r in rows if r["suppressed"])
    assert increments.hide_changes(rows_of(after), [rows_of(after)], least=10) == set()  # nothing moved
    assert increments.hide_changes(rows_of(after), [], least=10) == set()  # a first release


def solve(units: dict, sizes: list[dict], releases: list[list[dict]]) -> list[tuple]:
    """(groups, least, greatest) satisfied among the answers that came in between two releases, for
    every group of units with 1..9 such answers, from all the releases' published rows (units: code →
    block; sizes[p][code]: the answers of period p, release r holding periods 0..r)."""
    codes, size, periods = list(units), len(units), len(sizes)
    bounds = [(0, sizes[p][c]) for p in range(periods) for c in codes]
    equations, values = [], []
    for r, rows in enumerate(releases):
        for row in (x for x in rows if not x["suppressed"]):
            member = np.array([row["table"] == "province" or (row["table"] == "block" and units[c] == row["block"])
                               or (row["table"] == "agency" and c == row["agency"]) for c in codes], dtype=float)
            equations.append(np.concatenate([member if p <= r else np.zeros(size) for p in range(periods)]))
            values.append(row["count"])
    out = []
    for first, last in combinations(range(periods), 2):  # came in after release `first`, by release `last`
        for k in range(1, size + 1):
            for group in combinations(range(size), k):
                if not 0 < sum(sizes[p][codes[i]] for p in range(first + 1, last + 1) for i in group) < 10:
                    continue
                target = np.zeros(periods * size)
                target[[p * size + i for p in range(first + 1, last + 1) for i in group]] = 1
                low = linprog(target, A_eq=np.array(equations), b_eq=np.array(values), bounds=bounds, method="highs")
                high = linprog(-target, A_eq=np.array(equations), b_eq=np.array(values), bounds=bounds, method="highs")
                out.append(((first, last, group), low.fun, -high.fun))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_random_changes_between_releases_never_give_a_small_group_away(seed):
    rng = np.random.default_rng(seed)
    units = {f"U{i}": f"b{int(rng.integers(0, 4))}" for i in range(int(rng.integers(3, 11)))}
    sizes = [{c: int(rng.integers(10, 40)) for c in units}]
    for _ in range(int(rng.integers(1, 4))):  # two to four releases
        sizes.append({c: int(rng.choice([0, 0, int(rng.integers(1, 10)), int(rng.integers(10, 30))])) for c in units})
    # never unanimous when two or more came in: a group all satisfied (or none) is given away by the
    # bounds alone, whatever is hidden (the single-release check's data is not unanimous either)
    yes = [{c: int(rng.integers(1, n[c]) if n[c] > 1 else rng.integers(0, n[c] + 1)) for c in units} for n in sizes]

    def rows(upto: int) -> list[dict]:
        scopes = {("province", "", ""): list(units)}
        scopes |= {("block", b, ""): [c for c in units if units[c] == b] for b in set(units.values())}
        scopes |= {("agency", units[c], c): [c] for c in units}
        return [{"table": t, "block": b, "agency": a, "measure": "overall", "suppressed": False,
                 "n": sum(sizes[p][c] for c in members for p in range(upto + 1)),
                 "count": sum(yes[p][c] for c in members for p in range(upto + 1))}
                for (t, b, a), members in scopes.items()]

    published: list[list[dict]] = []
    for upto in range(len(sizes)):
        made = rows(upto)
        increments.hide_changes(made, published, least=10)
        published.append(made)
    for group, low, high in solve(units, sizes, published):
        assert high - low >= 1 - 1e-6, (seed, group, low, high)
