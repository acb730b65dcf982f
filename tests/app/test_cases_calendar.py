"""The working-day calendar: weekends, Tết and the other holidays of the shipped data, make-up
Saturdays; every expected date below was counted by hand on a paper calendar."""
from __future__ import annotations

from datetime import UTC, date

import pytest

from app.cases import calendar
from app.extensions import db
from app.models import Holiday

WEEKDAYS_ONLY: dict = {}


def test_plain_weeks_skip_the_weekend():
    # Fri 6 Mar 2026 + 1 working day = Mon 9 Mar; + 5 = Fri 13 Mar; + 0 = itself
    assert calendar.add_working_days(date(2026, 3, 6), 1, WEEKDAYS_ONLY) == date(2026, 3, 9)
    assert calendar.add_working_days(date(2026, 3, 6), 5, WEEKDAYS_ONLY) == date(2026, 3, 13)
    assert calendar.add_working_days(date(2026, 3, 6), 0, WEEKDAYS_ONLY) == date(2026, 3, 6)
    # opened on a Saturday: Mon is the first working day
    assert calendar.add_working_days(date(2026, 3, 7), 1, WEEKDAYS_ONLY) == date(2026, 3, 9)


def test_a_runaway_count_is_refused():
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2026, 1, 1), -1, WEEKDAYS_ONLY)


def test_deadline_opened_just_before_tet_2026_skips_weekends_and_tet(app):
    # Opened Fri 13 Feb 2026. Off: Sat 14, Sun 15, Tết Mon 16 – Fri 20, Sat 21, Sun 22.
    # Working days: 23 24 25 26 27 Feb (5), 2 3 4 5 6 Mar (10), 9 10 11 12 13 Mar (15).
    assert calendar.due(date(2026, 2, 13), 15) == date(2026, 3, 13)
    # Without the holidays it would have been Fri 6 Mar: the calendar really moved it a week.
    assert calendar.add_working_days(date(2026, 2, 13), 15, WEEKDAYS_ONLY) == date(2026, 3, 6)
    # Two working days to refuse: Mon 23, Tue 24 Feb.
    assert calendar.due(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_a_make_up_saturday_counts(app):
    # Thu 24 Apr 2025: Fri 25 (1), Sat 26 is the make-up working day for Fri 2 May (2).
    assert calendar.due(date(2025, 4, 24), 2) == date(2025, 4, 26)
    assert calendar.add_working_days(date(2025, 4, 24), 2, WEEKDAYS_ONLY) == date(2025, 4, 28)
    # Tue 29 Apr 2025 + 1: 30 Apr, 1 May, 2 May (swapped) off, then the weekend: Mon 5 May.
    assert calendar.due(date(2025, 4, 29), 1) == date(2025, 5, 5)


def test_substitute_days(app):
    # Hùng Kings 2026 falls on Sunday 26 Apr: Mon 27 Apr off; then 28, 29 work, 30 Apr + 1 May off.
    assert calendar.due(date(2026, 4, 24), 2) == date(2026, 4, 29)
    assert calendar.due(date(2026, 4, 24), 3) == date(2026, 5, 4)
    # 1 May 2027 is a Saturday: Mon 3 May off. Thu 29 Apr 2027 + 1 = Tue 4 May (Fri 30 Apr off).
    assert calendar.due(date(2027, 4, 29), 1) == date(2027, 5, 4)


def test_shipped_data_is_well_formed_and_honest_about_its_sources():
    rows = calendar.shipped_days()
    days = [r.day for r in rows]
    assert len(days) == len(set(days))
    assert {r.day.year for r in rows} == {2025, 2026, 2027}
    for row in rows:
        assert row.source and row.name_vi and row.name_en
        if row.kind == "holiday":
            assert row.day.weekday() < 5, row  # a holiday on a weekend must be given as a substitute day
        else:
            assert row.day.weekday() >= 5, row
    # dates not yet decided by any published text say that they follow the rule
    tet_2027 = [r for r in rows if r.day.year == 2027 and r.day.month == 2]
    assert len(tet_2027) == 5 and all(r.source.startswith("rule") for r in tet_2027)
    for day in (date(2026, 1, 1), date(2026, 2, 17), date(2026, 4, 27), date(2026, 9, 2), date(2027, 2, 5),
                date(2027, 4, 16), date(2027, 5, 3), date(2027, 9, 3), date(2025, 9, 1)):
        assert day in days


def test_the_table_overrides_the_shipped_file(app):
    assert calendar.special_days()[date(2026, 2, 17)] == "holiday"
    assert calendar.load_shipped() == len(calendar.shipped_days())
    assert calendar.load_shipped() == 0  # only into an empty table
    db.session.delete(db.session.get(Holiday, date(2026, 2, 20)))
    db.session.add(Holiday(day=date(2026, 2, 21), kind="workday", name_vi="Làm bù", name_en="Make-up"))
    db.session.commit()
    # Fri 20 Feb now works (1) and so does Sat 21 (2)
    assert calendar.due(date(2026, 2, 19), 2) == date(2026, 2, 21)


def test_today_is_in_vietnam(app, monkeypatch):
    from datetime import datetime

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # 18:30 UTC on 16 Feb 2026 is 01:30 on 17 Feb in Hà Nội
            return datetime(2026, 2, 16, 18, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(calendar, "datetime", Clock)
    assert calendar.today() == date(2026, 2, 17)


def test_case_settings_come_from_the_environment(monkeypatch, tmp_path):
    from app.config import from_environment

    monkeypatch.setenv("CASE_DAYS_HANDLE", "10")
    monkeypatch.setenv("CASE_CONTACT_KEY", "k")
    settings = from_environment(str(tmp_path))
    assert settings["CASE_DAYS_HANDLE"] == 10 and settings["CASE_CONTACT_KEY"] == "k"
    monkeypatch.setenv("CASE_REOPEN_DAYS", "ten")
    with pytest.raises(RuntimeError, match="CASE_REOPEN_DAYS"):
        from_environment(str(tmp_path))


def test_the_handling_deadline_is_configurable(app, wave):
    from app.cases import service

    app.config["CASE_DAYS_HANDLE"] = 10
    case, _raw = service.open_case(wave, wave.agencies[0], kind="dissatisfied", text="Chờ lâu",
                                   today=date(2026, 2, 13))
    # 23–27 Feb (5), 2–6 Mar (10)
    assert case.due_on == date(2026, 3, 6)
