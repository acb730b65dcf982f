"""The working-day calendar for administrators: the special days of a year (with where each
shipped day comes from), add or change a day, make a day ordinary again. Every change is audited."""
from __future__ import annotations

from datetime import date

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts.access import admin_only, current_user
from app.blueprints import admin as bp
from app.cases import calendar, labels
from app.cases.forms import HolidayForm
from app.shared.forms import ConfirmForm
from app.shared.web import commit_or_show

YEARS = range(2020, 2041)


def _year() -> int:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and int(value) in YEARS else calendar.today().year


def _page(form: HolidayForm, year: int, status: int = 200):
    days = calendar.days_in(year)
    return render_template("admin/calendar.html", form=form, year=year, days=days, labels=labels,
                           sources={d.day: calendar.shipped_source(d.day) for d in days},
                           confirm=ConfirmForm(), years=YEARS), status


@bp.get("/calendar")
@admin_only
def calendar_page():
    return _page(HolidayForm(), _year())


@bp.post("/calendar")
@admin_only
def calendar_set():
    form = HolidayForm()
    year = form.day.data.year if form.validate_on_submit() and form.day.data.year in YEARS else _year()
    if form.validate_on_submit() and (done := commit_or_show(
            form, lambda: calendar.set_day(form.day.data, form.kind.data, form.name_vi.data, form.name_en.data or "",
                                           current_user()),
            lambda row: _("%(day)s saved in the calendar.", day=row.day.isoformat()),
            url_for("admin.calendar_page", year=year), code=303)):
        return done
    return _page(form, year, 400)


@bp.post("/calendar/<day>/remove")
@admin_only
def calendar_remove(day: str):
    try:
        when = date.fromisoformat(day)
    except ValueError:
        when = None
    back = url_for("admin.calendar_page", year=when.year if when else None)
    if when is None or not ConfirmForm().validate_on_submit():
        return redirect(back, 303)
    return commit_or_show(None, lambda: calendar.remove_day(when, current_user()),
                          _("%(day)s is an ordinary day again.", day=when.isoformat()), back,
                          back=redirect(back, 303), code=303)
