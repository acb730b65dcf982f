"""`flask cases remind` and `flask cases purge` (run them daily from cron)."""
from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from app.cases import calendar, queries, service
from app.cli.common import fail
from app.extensions import db

group = AppGroup("cases", help="Feedback cases: deadline reminders and deleting contacts after retention.")


def _day(value: str | None) -> date:
    if not value:
        return calendar.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--today: expected a date such as 2026-02-13, not '{value[:40]}'")
        raise  # unreachable


@group.command("remind")
@click.option("--today", "today_text", help="the date to count from (default: today in Vietnam)")
def remind(today_text: str | None) -> None:
    """Per unit: the open cases overdue or due within CASE_REMIND_DAYS working days.

    Printed for now (one block per unit); the delivery outbox will send them to the units."""
    day = _day(today_text)
    due = queries.reminders(day)
    for code, items in due.items():
        late = sum(r.overdue for r in items)
        click.echo(f"{code}: {len(items)} case(s) need an answer, {late} overdue")
        for r in items:
            when = (f"overdue by {-r.working_days_left} working day(s)" if r.overdue
                    else f"due in {r.working_days_left} working day(s)")
            click.echo(f"  #{r.case.id} {r.case.state} due {r.case.due_on.isoformat()} ({when})")
    click.echo(f"{sum(len(v) for v in due.values())} case(s) in {len(due)} unit(s); horizon "
               f"{current_app.config['CASE_REMIND_DAYS']} working day(s) from {day.isoformat()}", err=True)


@group.command("purge")
@click.option("--today", "today_text", help="the date to count from (default: today in Vietnam)")
def purge(today_text: str | None) -> None:
    """Delete the citizens' contacts of cases closed more than CASE_CONTACT_RETENTION_DAYS ago."""
    count = service.purge_contacts(_day(today_text))
    db.session.commit()
    click.echo(f"{count} contact(s) deleted", err=True)


@group.command("load-calendar")
def load_calendar() -> None:
    """Copy the shipped working-day calendar into the database (only when it has no days yet)."""
    count = calendar.load_shipped()
    db.session.commit()
    click.echo(f"{count} day(s) loaded" if count else "the calendar already has days: nothing loaded", err=True)
