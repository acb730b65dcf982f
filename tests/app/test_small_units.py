"""Small units on the dashboard (issue 20): the EB estimate beside the direct one for a small
commune, with its shrinkage, and ranks on the EB estimates."""
from __future__ import annotations

import random

import numpy as np
import pytest

from app.collect import store
from app.extensions import db
from app.models import Agency
from app.programme.questionnaires import questionnaire_of
from app.quality import small_units
from app.results.filters import Filters
from app.results.snapshot import current
from tests import factories


@pytest.fixture
def wave(app):
    units = []
    for k in range(8):
        unit = factories.agency(f"X{k}", block="communes", name=f"Xã {k}")
        unit.level = "commune"
        units.append(unit)
    item = factories.wave(agency_list=units)
    db.session.commit()
    rng = random.Random(20)
    q = questionnaire_of(item.survey_version)
    base = factories.satisfied_answers(q)
    scales = {code: sorted(c.value for c in q.scales[q.question(code).scale].points) for code in q.rated_items}
    sizes = [12, 15, 60, 80, 120, 150, 200, 250]
    truth = [0.55, 0.98, 0.7, 0.8, 0.75, 0.85, 0.7, 0.8]
    for unit, size, p in zip(units, sizes, truth, strict=True):
        for _ in range(size):
            answers = dict(base)
            for code, points in scales.items():
                answers[code] = points[-1] if rng.random() < p else points[0]
            store.store(item, unit, answers, channel="paper", language="vi")
    db.session.commit()
    return item


def test_eb_estimates_shrink_small_units_toward_the_group(wave):
    groups = small_units.section(current(wave), Filters())
    assert len(groups) == 1
    table = groups[0]["table"].set_index("agency")
    assert list(table.loc[["X0", "X1"], "small"]) == [True, True] and not table.loc["X7", "small"]
    gamma = table["gamma"]
    assert gamma["X0"] < gamma["X4"] < gamma["X7"]  # fewer answers, less weight on them
    mean = float(np.average(table["direct"], weights=table["n"]))
    for code in ("X0", "X1"):  # pulled toward the group, never past it
        direct, eb = table.loc[code, "direct"], table.loc[code, "eb"]
        assert min(direct, mean) - 0.05 <= eb <= max(direct, mean) + 0.05
        assert abs(eb - mean) < abs(direct - mean)
    assert table.loc["X7", "eb"] == pytest.approx(table.loc["X7", "direct"], abs=0.05)
    ranks = table["eb_rank"]
    assert sorted(ranks) == list(range(1, 9)) and (table["eb_rank_lower"] <= ranks).all()
    assert (ranks <= table["eb_rank_upper"]).all()


def test_the_dashboard_shows_both_figures_for_a_small_commune(client, wave, login_as):
    login_as("official")
    page = client.get(f"/dashboard/{wave.slug}?lang=en").get_data(as_text=True)
    section = page[page.index('class="small-areas"'):]
    assert "Small units: empirical-Bayes estimates" in section
    row = section[section.index("Xã 0"):].split("</tr>")[0]
    assert "small unit" in row and row.count("%") >= 6  # direct and EB with their intervals, and the weight
    method = client.get(f"/dashboard/{wave.slug}/methodology?lang=en").get_data(as_text=True)
    assert "pulled toward similar units" in method


def test_the_published_results_page_and_the_excel_report_show_them_too(client, wave, login_as):
    import io

    from openpyxl import load_workbook

    table = small_units.section(current(wave), Filters())[0]["table"].set_index("agency")
    wave.status, wave.results_public = "closed", True
    db.session.commit()
    page = client.get(f"/results/{wave.slug}?lang=en").get_data(as_text=True)  # no login
    section = page[page.index('class="small-areas"'):]
    row = section[section.index("Xã 0"):].split("</tr>")[0]
    assert "small unit" in row and "/dashboard/" not in section  # no links into the logged-in pages
    login_as("official")
    book = load_workbook(io.BytesIO(client.get(f"/dashboard/{wave.slug}/report.xlsx?lang=en").data))
    sheet = next(book[name] for name in book.sheetnames if name.startswith("Small units"))
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == set(table.index)
    for code in ("X0", "X7"):
        assert rows[code]["EB estimate"] == round(table.loc[code, "eb"], 3)
        assert rows[code]["Direct"] == round(table.loc[code, "direct"], 3)
        assert rows[code]["EB rank"] == table.loc[code, "eb_rank"]
    assert rows["X0"]["Note"] == "small unit" and not rows["X7"]["Note"]


def test_no_model_for_too_few_units(app):
    units = [factories.agency(f"Y{k}") for k in range(3)]
    wave = factories.wave(slug="few", agency_list=units)
    db.session.commit()
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for unit in units:
        for _ in range(12):
            store.store(wave, unit, answers, channel="paper", language="vi")
    db.session.commit()
    assert small_units.section(current(wave), Filters()) == []
    assert db.session.query(Agency).count() == 3


def test_previous_wave_and_frame_enter_the_model_when_every_unit_has_them(wave):
    table = small_units.section(current(wave), Filters())[0]["table"]
    part = table.rename(columns={"direct": "rate"}).assign(
        se=0.05, suppressed=False, ci_lower=table["direct_lower"], ci_upper=table["direct_upper"])
    previous = dict(zip(part["agency"], part["rate"], strict=True))  # a perfect predictor
    frame = {code: 1000.0 * (k + 1) for k, code in enumerate(part["agency"])}
    both = small_units.group_table(part, previous, frame)
    assert both.attrs["covariates"] == ["previous_wave", "frame"]
    # with last wave's rates predicting every unit exactly, the model needs no area variance
    assert both.attrs["sigma2_v"] == pytest.approx(0.0, abs=1e-6)
    assert np.allclose(both.sort_values("agency")["eb"], part.sort_values("agency")["rate"], atol=1e-6)
    one_missing = dict(list(previous.items())[1:])
    assert small_units.group_table(part, one_missing, None).attrs["covariates"] == []
