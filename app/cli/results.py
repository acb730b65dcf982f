"""A wave's roll-ups from the command line: rebuilt from the responses, or brought up to date."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import fail, wave_or_fail
from app.extensions import db
from app.models import Wave
from app.results import rollup

group = AppGroup("results", help="The per-cell sums every figure is computed from (roll-ups).")


@group.command("rebuild")
@click.option("--wave", "slug", required=True, help="the wave's slug")
def rebuild(slug: str) -> None:
    """Drop the wave's roll-ups and sum every response again (the same cells as kept up to date
    response by response). One transaction: figures read meanwhile are the old ones."""
    wave = wave_or_fail(slug)
    started = time.perf_counter()
    added = rollup.in_own_transaction(db.engine, wave.id, rollup.rebuild)
    cells = len(rollup.cells(db.session, wave)[0])
    click.echo(f"{wave.slug}: {added} responses in {cells} cells ({time.perf_counter() - started:.1f} s)", err=True)


@group.command("update")
@click.option("--wave", "slug", help="the wave's slug")
@click.option("--all", "every", is_flag=True, help="every wave (make run: the demo and its history waves)")
def update(slug: str | None, every: bool) -> None:
    """Add the responses that came in since the last update (pages do this themselves at most
    every RESULTS_REFRESH_SECONDS; a cron job or a loader may call it)."""
    if bool(slug) == every:
        fail("give --wave SLUG or --all")
    waves = list(db.session.scalars(select(Wave).order_by(Wave.id))) if every else [wave_or_fail(slug)]
    for wave in waves:
        started = time.perf_counter()
        added = rollup.in_own_transaction(db.engine, wave.id, rollup.update_cells)
        click.echo(f"{wave.slug}: {added} responses added ({time.perf_counter() - started:.2f} s)", err=True)
