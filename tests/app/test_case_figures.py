"""Feedback handling (PAKN) figures: counts by hand, the satisfaction interval against statsmodels
and a by-hand logit interval, suppression (primary and complementary), Decision 766 points, the
"cases" key of the estimates API, the dashboard sections and the manager's page."""
from __future__ import annotations

import math
import re
from datetime import date, timedelta
from itertools import count

import pytest
from statsmodels.stats.proportion import proportion_confint

from app.cases import figures
from app.extensions import db
from app.models.case import FeedbackCase
from app.reports import case_pages
from tests import factories

TODAY = date(2026, 3, 20)  # a Friday, ISO week 12
_ids = count(1)


def case(agency, wave, *, opened=date(2026, 2, 2), due=date(2026, 2, 20), answered=None, state=None,
         satisfied=None, reopened=0, category="procedures") -> FeedbackCase:
    if state is None:
        state = "closed" if answered else "assigned"
    item = FeedbackCase(token_hash=f"h{next(_ids)}", wave_id=wave.id, agency_id=agency.id, kind="request",
                        category=category, text="(text)", state=state, opened_on=opened, due_on=due,
                        answered_on=answered, closed_on=answered if state == "closed" else None,
                        reopened=reopened, satisfied=satisfied)
    db.session.add(item)
    return item


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(case_pages, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def scene(app, today):
    """A1: 12 cases in the period (10 answered: 8 on time, 2 late of which 1 reopened; 1 open past
    due; 1 new, not yet due; rated 10, satisfied 7) and one opened before the period; A2: 1
    refused, 2 answered on time and rated (too few); A3: 20 on time, rated 20, satisfied 14."""
    a1, a2, a3 = factories.agency("A1"), factories.agency("A2"), factories.agency("A3")
    wave = factories.wave("w1", [a1, a2, a3])
    on_time, late = date(2026, 2, 18), date(2026, 2, 24)
    for verdict in [True] * 6 + [False] * 2:
        case(a1, wave, answered=on_time, satisfied=verdict)
    case(a1, wave, answered=late, satisfied=True, reopened=1, state="answered")
    case(a1, wave, answered=late, satisfied=False)
    case(a1, wave, state="assigned", due=date(2026, 3, 10))
    case(a1, wave, state="new", opened=date(2026, 3, 16), due=date(2026, 4, 3))
    case(a1, wave, opened=date(2025, 12, 30), answered=late, satisfied=False)  # before the period
    case(a2, wave, state="closed")  # refused: closed without an answer
    case(a2, wave, answered=on_time, satisfied=True)
    case(a2, wave, answered=on_time, satisfied=True)
    for verdict in [True] * 14 + [False] * 6:
        case(a3, wave, answered=on_time, satisfied=verdict)
    db.session.commit()
    return wave, (a1, a2, a3)


def by_unit(rows):
    return {r["agency"]: r for r in rows}


def test_counts_per_unit_and_province_match_the_hand_count(scene):
    wave, _ = scene
    rows = by_unit(figures.wave_rows(wave, TODAY))
    a1, a2, a3, province = rows["A1"], rows["A2"], rows["A3"], rows[None]
    assert {k: a1[k] for k in ("received", "answered", "on_time", "overdue", "overdue_open", "pending", "reopened",
                               "refused", "rated", "satisfied")} == {
        "received": 12, "answered": 10, "on_time": 8, "overdue": 3, "overdue_open": 1, "pending": 1, "reopened": 1,
        "refused": 0, "rated": 10, "satisfied": 7}
    assert a1["on_time_share"] == pytest.approx(8 / 11)
    assert a1["classified_share"] == pytest.approx(11 / 12)
    assert (a2["received"], a2["refused"], a2["on_time"], a2["rated"]) == (3, 1, 2, 2)
    assert a2["classified_share"] == 1.0  # the refused case is not counted against classification
    assert (a3["received"], a3["on_time"], a3["overdue"], a3["rated"], a3["satisfied"]) == (20, 20, 0, 20, 14)
    assert (province["received"], province["on_time"], province["overdue"], province["rated"],
            province["satisfied"]) == (35, 30, 3, 32, 23)


def test_an_open_case_is_overdue_only_after_its_due_date(app):
    opened = date(2026, 3, 1)
    pending = figures.Case(1, "A1", "assigned", "other", opened, date(2026, 3, 20), None, 0, None)
    assert not pending.overdue(date(2026, 3, 20)) and pending.overdue(date(2026, 3, 21))
    assert figures.tally([pending], date(2026, 3, 20))["pending"] == 1


def test_small_groups_and_their_complement_are_suppressed(scene):
    wave, _ = scene
    rows = by_unit(figures.wave_rows(wave, TODAY))
    # A2 rated 2 cases: hidden; A1 (the next smallest) hidden too, or the province minus A1 and A3 gives A2 away
    assert rows["A2"]["suppressed"] and rows["A2"]["small"] and rows["A2"]["satisfied_rate"] is None
    assert rows["A1"]["suppressed"] and not rows["A1"]["small"] and rows["A1"]["satisfied_rate"] is None
    assert not rows["A3"]["suppressed"] and rows["A3"]["satisfied_rate"] == pytest.approx(0.7)
    assert not rows[None]["suppressed"] and rows[None]["satisfied_rate"] == pytest.approx(23 / 32)
    # no total of points with a hidden rate (it would give the rate back)
    assert rows["A1"]["d766_points"] is None and rows["A1"]["d766_parts"]["on_time"] == pytest.approx(3 * 8 / 11)


def test_a_unit_with_one_rated_case_shows_no_rate(app, today):
    a1 = factories.agency("A1")
    wave = factories.wave("w1", [a1])
    case(a1, wave, answered=date(2026, 2, 18), satisfied=True)
    db.session.commit()
    rows = figures.wave_rows(wave, TODAY)
    assert all(r["suppressed"] and r["satisfied_rate"] is None and r["ci_lower"] is None for r in rows)
    assert [r["received"] for r in rows] == [1, 1]  # counts of cases are shown


@pytest.mark.parametrize(("method", "reference"), [("wilson", "wilson"), ("kg", "beta")])
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_the_satisfaction_interval_matches_statsmodels(scene, method, reference, level):
    wave, _ = scene
    wave.change_settings(ci=method, level=level)
    db.session.commit()
    a3 = by_unit(figures.wave_rows(wave, TODAY))["A3"]
    lower, upper = proportion_confint(14, 20, alpha=1 - level, method=reference)
    assert (a3["ci_lower"], a3["ci_upper"]) == (pytest.approx(lower, abs=1e-9), pytest.approx(upper, abs=1e-9))


def test_the_logit_interval_matches_a_hand_computation(scene):
    wave, _ = scene
    a3 = by_unit(figures.wave_rows(wave, TODAY))["A3"]  # default: logit, 95 %
    p, n = 0.7, 20
    half = 1.959963984540054 * math.sqrt(p * (1 - p) / n) / (p * (1 - p))
    centre = math.log(p / (1 - p))
    assert a3["ci_lower"] == pytest.approx(1 / (1 + math.exp(-(centre - half))), abs=1e-9)
    assert a3["ci_upper"] == pytest.approx(1 / (1 + math.exp(-(centre + half))), abs=1e-9)


def test_decision_766_points_default_and_configured(scene, app):
    wave, _ = scene
    a3 = by_unit(figures.wave_rows(wave, TODAY))["A3"]
    assert a3["d766_points"] == pytest.approx(3 * 1 + 3 * 1 + 3 * 0.7) and a3["d766_max"] == 9
    app.config["CASE_D766_POINTS"] = {"classification": 1, "on_time": 5, "satisfaction": 10}
    a3 = by_unit(figures.wave_rows(wave, TODAY))["A3"]
    assert a3["d766_points"] == pytest.approx(1 + 5 + 7) and a3["d766_max"] == 16


def token_for(client, make_user, role, agency=None) -> dict:
    user, password = make_user(role, agency)
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_estimates_api_carries_the_cases_key(client, make_user, scene):
    wave, (a1, a2, a3) = scene
    body = client.get("/api/v1/waves/w1/estimates", headers=token_for(client, make_user, "official")).get_json()
    assert "rows" in body  # the existing answer is unchanged
    rows = by_unit(body["cases"])
    assert set(rows) == {"A1", "A2", "A3", None}
    assert set(rows["A3"]) >= {"agency", "received", "on_time", "overdue", "reopened", "rated", "satisfied_rate",
                               "ci_lower", "ci_upper", "suppressed", "d766_points"}
    assert (rows["A1"]["received"], rows["A1"]["on_time"], rows["A1"]["overdue"], rows["A1"]["reopened"]) == (12, 8, 3, 1)
    assert rows["A1"]["suppressed"] is True and rows["A1"]["satisfied_rate"] is None
    assert rows["A3"]["satisfied_rate"] == pytest.approx(0.7) and rows["A3"]["d766_points"] == pytest.approx(8.1)


def test_an_agency_token_sees_only_its_own_row(client, make_user, scene):
    _, (a1, a2, a3) = scene
    body = client.get("/api/v1/waves/w1/estimates", headers=token_for(client, make_user, "agency", a3)).get_json()
    assert [r["agency"] for r in body["cases"]] == ["A3"]


def test_the_wave_dashboard_and_the_agency_page_show_the_section(client, login_as, scene):
    login_as("official")
    page = client.get("/dashboard/w1?lang=en").get_data(as_text=True)
    assert "Feedback handling (PAKN)" in page
    assert "70.0%" in page  # A3's satisfaction with handling
    assert "not confirmed by the official texts" in page
    assert "Feedback handling (PAKN)" in client.get("/dashboard/w1/print?lang=en").get_data(as_text=True)
    agency = client.get("/dashboard/w1/agencies/A3").get_data(as_text=True)
    section = agency[agency.index('id="cases"'):]
    assert "Agency A3" in section
    assert "A1" not in section.split("</section>")[0]


@pytest.fixture
def weeks(app, today):
    """A1: 2 of 20 on time in week 11, 18 of 21 in week 12 (one open and overdue); A2: 5/10 then
    6/10; A3: 10/10 both weeks. Plus an A2 case due within two working days and one after."""
    a1, a2, a3 = factories.agency("A1"), factories.agency("A2"), factories.agency("A3")
    wave = factories.wave("w1", [a1, a2, a3])
    week11, week12 = date(2026, 3, 10), date(2026, 3, 17)

    def week(agency, due, good, bad):
        for i in range(good + bad):
            case(agency, wave, opened=due - timedelta(days=21), due=due,
                 answered=due - timedelta(days=1) if i < good else due + timedelta(days=1))

    week(a1, week11, 2, 18)
    week(a1, week12, 18, 2)
    overdue = case(a1, wave, opened=date(2026, 2, 25), due=date(2026, 3, 18), state="assigned")
    week(a2, week11, 5, 5)
    week(a2, week12, 6, 4)
    week(a3, week11, 10, 0)
    week(a3, week12, 10, 0)
    soon = case(a2, wave, opened=date(2026, 3, 2), due=date(2026, 3, 24), state="new")  # Tuesday: 2nd working day
    later = case(a2, wave, opened=date(2026, 3, 3), due=date(2026, 3, 25), state="new")
    db.session.commit()
    return wave, (a1, a2, a3), (overdue, soon, later)


def unit_row(page: str, code: str) -> str:
    return re.search(rf'<tr class="unit-row" data-unit="{code}">.*?</tr>', page, re.S).group(0)


def test_the_manager_page_lists_overdue_due_soon_and_units_below_target(client, login_as, weeks):
    _, _, (overdue, soon, later) = weeks
    login_as("official")
    page = client.get("/dashboard/-/cases?lang=en").get_data(as_text=True)
    listed = page[page.index('id="overdue"'):page.index('id="due-soon"')]
    assert f"#{overdue.id}<" in listed and f"#{soon.id}<" not in listed
    due = page[page.index('id="due-soon"'):page.index('id="below-target"')]
    assert f"#{soon.id}<" in due and f"#{later.id}<" not in due and f"#{overdue.id}<" not in due
    below = page[page.index('id="below-target"'):page.index('id="weekly"')]
    assert "Agency A1" in below
    assert "A2" in below and "A3" not in below
    assert "arrow up" in unit_row(page, "A1")  # 2/20 → 18/21: significant
    assert "arrow" not in unit_row(page, "A2")  # 5/10 → 6/10: chance
    assert "arrow" not in unit_row(page, "A3")
    assert "@" not in page.split("<main", 1)[-1]  # no contact of any kind


def test_the_week_on_week_difference_matches_a_hand_computed_interval(app, weeks):
    table = {u["agency"]: u for u in case_pages.unit_table(
        ["A1", "A2", "A3"], figures.weekly_on_time(figures.load(), TODAY), case_pages._window(TODAY), 0.9)}
    a2 = table["A2"]
    assert (a2["now"], a2["before"]) == ((6, 10), (5, 10))
    se = math.sqrt(0.6 * 0.4 / 10 + 0.5 * 0.5 / 10)
    assert a2["difference"] == pytest.approx(0.1)
    assert (a2["diff_lower"], a2["diff_upper"]) == (pytest.approx(0.1 - 1.959964 * se, abs=1e-6),
                                                    pytest.approx(0.1 + 1.959964 * se, abs=1e-6))
    assert a2["arrow"] is None and table["A1"]["arrow"] == "up"
    assert table["A1"]["share"] == pytest.approx(20 / 41) and table["A1"]["below"]
    assert table["A3"]["share"] == 1.0 and not table["A3"]["below"]


def test_an_agency_account_sees_its_own_units_cases_only(client, login_as, weeks):
    _, (a1, a2, a3), (overdue, soon, later) = weeks
    login_as("agency", a2)
    page = client.get("/dashboard/-/cases").get_data(as_text=True)
    assert f"#{soon.id}<" in page and f"#{overdue.id}<" not in page
    assert 'data-unit="A2"' in page and 'data-unit="A1"' not in page


@pytest.mark.parametrize("role", ["entry", None])
def test_others_cannot_read_the_manager_page(client, login_as, role, app):
    if role:
        login_as(role, factories.agency("A9"))
    assert client.get("/dashboard/-/cases").status_code in (302, 403)


def test_due_soon_counts_working_days_on_the_shipped_calendar(client, login_as, app, monkeypatch):
    """Friday 24 April 2026: Monday 27 is the Hùng Kings' substitute day off, so two working days
    reach Wednesday 29 (calendar days would stop on Sunday, weekdays on Tuesday)."""
    monkeypatch.setattr(case_pages, "today", lambda: date(2026, 4, 24))
    a1 = factories.agency("A1")
    wave = factories.wave("w1", [a1])
    wednesday = case(a1, wave, opened=date(2026, 4, 1), due=date(2026, 4, 29), state="new")
    thursday = case(a1, wave, opened=date(2026, 4, 1), due=date(2026, 4, 30), state="new")
    db.session.commit()
    login_as("official")
    page = client.get("/dashboard/-/cases?lang=en").get_data(as_text=True)
    due = page[page.index('id="due-soon"'):page.index('id="below-target"')]
    assert f"#{wednesday.id}<" in due and f"#{thursday.id}<" not in due


def test_cases_handled_through_the_service_reach_the_figures(app, make_user, today):
    """Open, answer late, rate; open and refuse as out of scope: counted by the figures."""
    from app.cases import service

    a1 = factories.agency("A1")
    wave = factories.wave("w1", [a1])
    staff, _ = make_user("agency", a1)
    late, _ = service.open_case(wave, a1, kind="request", text="Hồ sơ trễ hạn", today=date(2026, 2, 2))
    service.answer(late, "Đã xử lý", staff, today=late.due_on + timedelta(days=1))
    service.rate(late, False)
    refused, _ = service.open_case(wave, a1, kind="request", text="Không thuộc thẩm quyền", today=date(2026, 2, 2))
    service.refuse(refused, "Ngoài phạm vi", staff, today=date(2026, 2, 3))
    db.session.commit()
    row = by_unit(figures.wave_rows(wave, TODAY))["A1"]
    assert (row["received"], row["answered"], row["on_time"], row["overdue"], row["refused"], row["rated"],
            row["satisfied"]) == (2, 1, 0, 1, 1, 1, 0)


def test_the_sections_are_in_vietnamese_by_default(client, login_as, scene):
    login_as("official")
    page = client.get("/dashboard/w1").get_data(as_text=True)
    assert "Giải quyết phản ánh, kiến nghị (PAKN)" in page and "70,0" in page
    assert "Phản ánh, kiến nghị: trang quản lý" in client.get("/dashboard/-/cases").get_data(as_text=True)


def test_the_manager_page_leaves_out_units_without_recent_cases(client, login_as, weeks):
    factories.agency("A4")  # no case at all
    db.session.commit()
    login_as("official")
    page = client.get("/dashboard/-/cases?lang=en").get_data(as_text=True)
    assert 'data-unit="A3"' in page and 'data-unit="A4"' not in page


def test_a_wave_called_cases_keeps_its_dashboard(client, login_as, app):
    factories.wave("cases")
    db.session.commit()
    login_as("official")
    assert "Wave cases" in client.get("/dashboard/cases?lang=en").get_data(as_text=True)
