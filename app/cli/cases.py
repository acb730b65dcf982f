"""`flask cases remind`, `digest` and `purge` (purge daily from cron; `flask outbox run` queues the
reminders and digests by itself, app.cases.notices.queue_due)."""
from __future__ import annotations

import re
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from app.cases import calendar, notices, queries, service
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
@click.option("--print", "print_only", is_flag=True, help="print the cases per unit instead of queuing e-mails")
def remind(today_text: str | None, print_only: bool) -> None:
    """Per unit: the open cases overdue or due within CASE_REMIND_DAYS working days.

    Queues one e-mail per account of each such unit (the outbox sends it; once per account and
    day); with --print, only prints them (one block per unit)."""
    day = _day(today_text)
    if not print_only:
        count = notices.queue_reminders(day)
        db.session.commit()
        click.echo(f"{count} reminder(s) queued for {day.isoformat()}", err=True)
        return
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


def _week(value: str | None) -> tuple[int, int]:
    if not value:
        return notices.previous_week(calendar.today())
    found = re.fullmatch(r"(\d{4})-W(\d{2})", value.strip())
    try:
        if found is None:
            raise ValueError
        date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        fail(f"--week: expected an ISO week such as 2026-W49, not '{value[:40]}'")
        raise  # unreachable
    return int(found.group(1)), int(found.group(2))


@group.command("digest")
@click.option("--week", "week_text", help="the ISO week to report, e.g. 2026-W49 (default: last week)")
def digest(week_text: str | None) -> None:
    """Queue the weekly digest of feedback cases to every account that asked for it (once per
    account and week)."""
    week = _week(week_text)
    count = notices.queue_digests(week)
    db.session.commit()
    click.echo(f"{count} digest(s) queued for {notices.week_key(week)}", err=True)


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
