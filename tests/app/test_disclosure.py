"""Differencing: no hidden figure can be solved from the published ones.

A wave with many small groups is seeded; every figure the platform publishes about it is
collected (the API's estimates for every `by=` combination, the dashboard for every filter
combination with its rankings, every agency's page, the province's trend). Weights are 1, so a
published rate × n is the number of satisfied respondents of that cell. The unknowns are the
satisfied counts of the finest cells (agency × channel × language × service field), between 0
and their published n; every published cell is an equation. For every hidden cell, linear
programming finds the least and the greatest value consistent with all of it: none is determined.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from app.reports import agency_report
from app.results import disclosure, estimates, overview
from app.results.filters import Filters, service_fields
from app.results.snapshot import current
from app.results.table import respondents
from tests import factories

MEASURES = ("f1_1", "f2_1")
FILTER_DIMS = ("block", "channel", "service_field")


def seed_small_groups(responses_count: int = 360, seed: int = 12) -> object:
    rng = np.random.default_rng(seed)
    agencies = [factories.agency(f"A{i}", block="departments" if i < 3 else "districts") for i in range(6)]
    wave = factories.wave("small", agency_list=agencies)
    questionnaire = questionnaire_of(wave.survey_version)
    base = factories.satisfied_answers(questionnaire)
    fields = [c.value for c in questionnaire.question("service_field").options]
    share = np.array([0.34, 0.26, 0.18, 0.12, 0.06, 0.04])
    for _ in range(responses_count):
        answers = dict(base)
        answers["service_field"] = int(rng.choice(fields[:4], p=[0.5, 0.3, 0.15, 0.05]))
        for code in MEASURES:
            answers[code] = int(rng.integers(1, 6))
        store.store(wave, agencies[rng.choice(6, p=share)], answers,
                        channel=str(rng.choice(["link", "kiosk", "paper", "online"], p=[0.5, 0.25, 0.2, 0.05])),
                        language=str(rng.choice(["vi", "en"], p=[0.85, 0.15])))
    wave.data_version += 1
    db.session.commit()
    return wave


def published_rows(wave) -> list[dict]:
    """Every figure about MEASURES that some view shows: {dims..., measure, n, rate, suppressed}."""
    rows: list[dict] = []

    def take(cell: dict, table: pd.DataFrame) -> None:
        for record in table.to_dict(orient="records"):
            if record.get("measure") in MEASURES:
                rows.append({**cell, **{d: record[d] for d in disclosure.table_key(record) if d in record},
                             "measure": record["measure"], "n": record["n"], "rate": record.get("rate"),
                             "suppressed": bool(record.get("suppressed"))})

    for size in range(len(estimates.DOMAINS) + 1):  # the API and the estimates CSV
        for by in combinations(estimates.DOMAINS, size):
            take({}, pd.DataFrame(estimates.estimate_rows(wave, list(by))))
    choices = {"block": ["", "departments", "districts"], "channel": ["", "link", "kiosk", "paper", "online"],
               "service_field": ["", *map(str, service_fields(wave))]}
    for block in choices["block"]:  # the dashboard (and the Excel report, the public page: no filter)
        for channel in choices["channel"]:
            for field in choices["service_field"]:
                filters = Filters(block=block, channel=channel, service_field=field)
                data = overview.overview(current(wave), filters)
                cell = {k: v for k, v in filters.as_args().items()}
                take(cell, data["criteria"])
                measure_rows = [r["table"].assign(measure=r["measure"]) for r in data["rankings"]]
                for table in measure_rows:
                    take({k: v for k, v in cell.items() if k != "block"}, table)
    from flask import current_app

    with current_app.test_request_context("/"):
        for agency in wave.agencies:  # each agency's page
            report = agency_report.report(current(wave), agency)
            take({"agency": agency.code}, report["criteria"])
    return rows


def finest(wave) -> pd.DataFrame:
    frame = respondents(wave, [*MEASURES, "service_field"])
    frame["service_field"] = frame["service_field"].map(disclosure.label)
    # the unit that processed the dossier: the receiving one where none is named
    frame["processing_unit"] = frame["processing_unit"].fillna(frame["agency"])
    return frame


def in_cell(frame: pd.DataFrame, row: dict) -> np.ndarray:
    inside = np.ones(len(frame), dtype=bool)
    for dim in ("agency", "block", "channel", "language", "service_field", "processing_unit"):
        if row.get(dim) not in (None, ""):
            inside &= (frame[dim].astype(str) if dim != "service_field" else frame[dim]) == disclosure.label(row[dim])
    return inside


def solve_hidden(wave, measure: str, rows: list[dict]) -> list[tuple[dict, float, float]]:
    """(hidden cell, least, greatest) satisfied count consistent with every published figure."""
    frame = finest(wave)
    frame = frame[frame[measure].notna()].reset_index(drop=True)
    keys = frame.groupby(["agency", "channel", "language", "service_field"], sort=False).ngroup().to_numpy()
    cells = keys.max() + 1
    count = np.bincount(keys, minlength=cells).astype(float)  # published n of the finest cells
    satisfied = np.bincount(keys, frame[measure].isin([4, 5]).to_numpy(float), cells)
    equations, values, hidden = [], [], []
    for row in (r for r in rows if r["measure"] == measure):
        member = np.bincount(keys[in_cell(frame, row)], minlength=cells) > 0
        assert row["n"] == count[member].sum(), row  # the published n is that of these cells
        if row["suppressed"]:
            hidden.append((row, member))
        else:
            equations.append(member.astype(float))
            values.append(row["rate"] * row["n"])
            assert abs(values[-1] - satisfied[member].sum()) < 1e-6
    a_eq, b_eq = np.array(equations), np.array(values)
    bounds = list(zip(np.zeros(cells), count, strict=True))
    seen, out = set(), []
    for row, member in hidden:
        if member.tobytes() in seen:
            continue
        seen.add(member.tobytes())
        low = linprog(member.astype(float), A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-member.astype(float), A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0 and high.status == 0
        out.append((row, low.fun, -high.fun))
    return out


@pytest.mark.slow
def test_no_hidden_cell_is_determined_by_the_published_margins(app):
    wave = seed_small_groups()
    rows = published_rows(wave)
    assert any(r["suppressed"] and r["n"] < app.config["MIN_GROUP_SIZE"] for r in rows)
    determined = []
    for measure in MEASURES:
        solved = solve_hidden(wave, measure, rows)
        assert len(solved) > 50  # plenty of small groups to protect
        determined += [(row, low, high) for row, low, high in solved if high - low < 1 - 1e-6]
    assert determined == []


def test_without_complementary_suppression_differencing_recovers_small_groups(app, monkeypatch):
    """The check above has teeth: with primary suppression alone, hidden cells are solved."""
    wave = seed_small_groups(responses_count=240)
    monkeypatch.setattr(disclosure.Pattern, "_settle", lambda self: None)
    rows = published_rows(wave)
    solved = solve_hidden(wave, "f1_1", rows)
    assert any(high - low < 1e-6 for _, low, high in solved)


def test_an_agency_hidden_only_as_a_complement_says_why(app, client, login_as):
    departments = [factories.agency(f"D{i}", block="departments") for i in range(3)]
    wave = factories.wave("w", agency_list=departments)
    questionnaire = questionnaire_of(wave.survey_version)
    answers = factories.satisfied_answers(questionnaire)
    for agency, count in zip(departments, (4, 30, 60), strict=True):
        for _ in range(count):
            store.store(wave, agency, answers, channel="paper", language="vi")
    db.session.commit()
    rows = {r["agency"]: r for r in estimates.estimate_rows(wave, ["agency"]) if r["measure"] == "overall"}
    assert rows["D0"]["suppressed"] and rows["D0"]["rate"] is None  # 4 respondents
    assert rows["D1"]["suppressed"] and rows["D1"]["rate"] is None  # else D0 = block − D1 − D2
    assert not rows["D2"]["suppressed"] and rows["D2"]["rate"] == 1.0
    login_as("admin")
    page = client.get("/dashboard/w/agencies/D1?lang=en").get_data(as_text=True)
    assert "would reveal a group of fewer than 10" in page


def test_pages_with_hidden_cells_render(app, client, login_as):
    wave = seed_small_groups(responses_count=120)
    login_as("admin")
    for query in ("", "?channel=online", "?channel=kiosk&service_field=3", "?block=districts&channel=paper",
                  "?service_field=4"):
        response = client.get(f"/dashboard/{wave.slug}{query}")
        assert response.status_code == 200, query
    for agency in wave.agencies:
        assert client.get(f"/dashboard/{wave.slug}/agencies/{agency.code}").status_code == 200
    assert client.get(f"/dashboard/{wave.slug}/report.xlsx").status_code == 200
    assert client.get(f"/dashboard/{wave.slug}/print").status_code == 200
    assert client.get("/dashboard/trends").status_code == 200
