"""Issue 12, item 12: differencing. As an official would, over HTTP against gunicorn, collect every
breakdown the API publishes (`/api/v1/waves/demo/estimates?by=...` for every combination of
agency, block, channel, language and service field: the same tables the dashboard's filters,
rankings and agency pages show), then try to solve the hidden cells from the published ones.

The attacker is given more than the pages show: every respondent's design weight (the weights are
N_h/n_h, constant within an agency). Unknowns: the satisfied count S_f of each finest cell (agency
× channel × language × service field), 0 ≤ S_f ≤ n_f (n is published for every cell). Every
published rate is an equation Σ w_f S_f = rate · Σ w_f n_f over its cell's finest cells. For the
hidden cells (all of those below the threshold, and a sample of the others), linear programming
finds the least and greatest satisfied count consistent with everything published.

`determined` is the issue's criterion (cells nonnegative, min = max): 0 is the pass. The figure
also reports a stronger attacker, who knows 0 ≤ S_f ≤ n_f and that counts are whole numbers
(determined = one whole number in the interval); cells pinned only by those bounds because a group
of at least MIN_GROUP_SIZE answered alike (what a published 0 % or 100 % says anyway) are counted
apart, and so are complementary cells (≥ MIN_GROUP_SIZE respondents, hidden to protect others).
Complementary suppression is decided margin by margin (app/results/disclosure.py), which the
stronger attacker can occasionally defeat: that number is reported, not hidden."""
from __future__ import annotations

import csv
import io
import json
import random
import tempfile
from itertools import combinations
from pathlib import Path
from urllib.parse import quote

import numpy as np

from battery.harness import flask, request, reset_limits

DOMAINS = ("agency", "block", "channel", "language", "service_field")
MEASURE = "f1_1"
MINIMUM = 10  # MIN_GROUP_SIZE's default


def _token(port: int) -> dict:
    status, _, body = request("POST", port, "/api/v1/auth/token",
                              {"email": "official@example.org", "password": "Battery-password-1"})
    if status != 200:
        raise RuntimeError(f"token: {status}")
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def published(port: int) -> list[dict]:
    headers, rows, asked = _token(port), [], 0
    for size in range(len(DOMAINS) + 1):
        for by in combinations(DOMAINS, size):
            if asked and asked % 25 == 0:
                reset_limits()  # RATE_LIMIT_ESTIMATES: this figure measures disclosure, not limits
            asked += 1
            status, _, body = request("GET", port, f"/api/v1/waves/demo/estimates?by={quote(','.join(by))}",
                                      headers=headers, timeout=300)
            if status != 200:
                raise RuntimeError(f"by={','.join(by)}: {status} {body[:200]!r}")
            rows += [dict(r, _by=by) for r in json.loads(body)["rows"] if r["measure"] == MEASURE]
    return rows


def _label(value) -> str:
    if value in (None, ""):
        return ""
    number = float(value) if str(value).replace(".", "", 1).isdigit() else None
    return str(int(number)) if number is not None and number.is_integer() else str(value)


def respondents() -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        flask("responses", "export", "--wave", "demo", "--format", "csv", "--output", str(path))
        return [r for r in csv.DictReader(io.StringIO(path.read_text("utf-8"))) if r[MEASURE] != ""]


def solve(rows: list[dict], people: list[dict], sample: int, seed: int = 7) -> dict:
    from scipy.sparse import csr_matrix

    keys = [(p["agency"], p["channel"], p["language"], _label(p.get("service_field"))) for p in people]
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    cells = len(index)
    cell_of = np.array([index[k] for k in keys])
    n = np.bincount(cell_of, minlength=cells).astype(float)
    weight = np.bincount(cell_of, [float(p["weight"]) for p in people], cells) / np.maximum(n, 1)
    truth = np.bincount(cell_of, [float(p[MEASURE]) in (4.0, 5.0) for p in people], cells)
    columns = {"agency": 0, "block": None, "channel": 1, "language": 2, "service_field": 3}
    block_of = {p["agency"]: p["block"] for p in people}
    finest = list(index)

    def members(row: dict) -> np.ndarray:
        inside = np.ones(cells, dtype=bool)
        for dim in row["_by"]:
            value = _label(row[dim])
            if dim == "block":
                inside &= np.array([block_of[k[0]] == value for k in finest])
            else:
                inside &= np.array([k[columns[dim]] == value for k in finest])
        return inside

    upper, lower, hidden, mismatched = [], [], [], 0
    for row in rows:
        inside = members(row)
        if row["suppressed"]:
            if row["n"]:
                hidden.append((row, inside))
            continue
        if row["rate"] is None:  # nobody answered in the cell: nothing published
            continue
        coefficient = np.where(inside, weight, 0.0)
        value = row["rate"] * float(coefficient @ n)
        if abs(value - float(coefficient @ truth)) > 1e-6 * max(1.0, value):
            mismatched += 1  # (would mean the attacker's model is wrong, not that a cell is safe)
        slack = 1e-7 * max(1.0, abs(value))
        upper.append((coefficient, value + slack))
        lower.append((-coefficient, -(value - slack)))
    a_ub = csr_matrix(np.array([c for c, _ in upper + lower]))
    b_ub = np.array([b for _, b in upper + lower])
    bounds = list(zip(np.zeros(cells), n, strict=True))
    unique = {}
    for row, inside in hidden:
        unique.setdefault(inside.tobytes(), (row, inside))
    small = [v for v in unique.values() if v[0]["n"] < MINIMUM]
    others = [v for v in unique.values() if v[0]["n"] >= MINIMUM]
    random.Random(seed).shuffle(small)
    random.Random(seed).shuffle(others)
    checked = small[:sample] + others[: max(0, sample // 4)]
    spec, determined, extreme = [], [], 0
    nonnegative = [(0.0, None)] * cells
    for row, inside in checked:
        objective = inside.astype(float)
        # the criterion: nonnegative cells, determined when min = max
        low, high = _range(objective, a_ub, b_ub, nonnegative)
        if high - low < 1e-6:
            spec.append({d: row[d] for d in row["_by"]} | {"n": row["n"], "value": low})
        # a stronger attacker: 0 ≤ S ≤ n and whole numbers
        low, high = _range(objective, a_ub, b_ub, bounds)
        if np.floor(high + 1e-6) - np.ceil(low - 1e-6) >= 1:
            continue
        value = int(np.ceil(low - 1e-6))  # the one whole number in the interval
        if value in (0, row["n"]) and _extreme_group(row, inside, a_ub, b_ub, bounds, objective):
            extreme += 1  # everyone in a group of ≥ MINIMUM answered alike: what its published rate says
            continue
        determined.append({d: row[d] for d in row["_by"]} | {"n": row["n"], "low": low, "high": high})
    below = [d for d in determined if d["n"] < MINIMUM]
    return {"cells": cells, "published_equations": len(upper), "hidden_cells": len(unique),
            "hidden_below_threshold": len(small), "checked": len(checked), "determined": len(spec),
            "stronger_attacker": {"determined_below_threshold": len(below),
                                  "determined_complements": len(determined) - len(below),
                                  "pinned_by_unanimous_groups": extreme, "examples": determined[:2]},
            "model_mismatches": mismatched}


def _range(objective, a_ub, b_ub, bounds) -> tuple[float, float]:
    from scipy.optimize import linprog

    low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if low.status or high.status:
        raise RuntimeError(f"LP failed: {low.message} / {high.message}")
    return low.fun, -high.fun


def _extreme_group(row, inside, a_ub, b_ub, bounds, objective) -> bool:
    """Whether the cell is pinned only because its whole group answered alike: without the
    bounds 0 ≤ S ≤ n (equations alone), the cell's count is not determined."""
    from scipy.optimize import linprog

    free = [(None, None)] * len(bounds)
    low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=free, method="highs")
    return low.status == 3  # unbounded: the published equations alone leave the cell free


def run(server, sample: int = 200) -> dict:
    reset_limits()
    rows = published(server.port)
    result = solve(rows, respondents(), sample)
    return {"figure": "differencing", "measure": MEASURE, "tables": 2 ** len(DOMAINS), **result,
            "ok": result["determined"] == 0 and result["checked"] > 0 and result["model_mismatches"] == 0}


if __name__ == "__main__":  # python -m battery.differencing (on an already seeded scratch database)
    from battery import harness

    with harness.Server(workers=2) as one:
        print(json.dumps(run(one), ensure_ascii=False))
