from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from app import demo
from app.extensions import db

group = AppGroup("demo", help="Demo data.")


@group.command("seed")
@click.option("--if-empty", is_flag=True, help="do nothing when the database already has responses")
@click.option("--responses", default=20_000, show_default=True, type=click.IntRange(100, 10_000_000),
              help="about this many responses (PostgreSQL: written with COPY, a million in about a minute)")
@click.option("--seed", "seed_value", default=2024, show_default=True)
@click.option("--history/--no-history", default=True, show_default=True,
              help="also the two old provinces merged into the demo province on 1 July 2025: their units, "
                   "the lineage and their closed waves of 2023 and 2024 (each about a tenth of --responses)")
def seed(if_empty: bool, responses: int, seed_value: int, history: bool) -> None:
    """A demo province (41 agencies, 3 blocks), the open wave `demo`, the waves before the 2025
    merger and two accounts."""
    if if_empty and not demo.is_empty():
        click.echo("demo: the database already has responses; nothing to do")
        return
    summary = demo.seed(responses=responses, seed_value=seed_value, history=history,
                        password=os.environ.get("DEMO_PASSWORD") or None)
    db.session.commit()
    click.echo(f"demo: {summary['agencies']} agencies, wave '{summary['wave']}', "
               f"{summary['responses']} responses")
    if summary["history"]:
        waves = ", ".join(f"'{w['wave']}' ({w['agencies']} agencies, {w['responses']} responses)"
                          for w in summary["history"])
        click.echo(f"demo history: the closed waves of {demo.FORMER} (merged on {demo.MERGED_ON.isoformat()}): "
                   f"{waves}; {summary['lineage']} lineage rows recorded now")
    if summary["accounts"]:
        click.echo(f"demo accounts: {', '.join(summary['accounts'])}")
        if summary["password_generated"]:
            click.echo(f"demo password (shown once): {summary['password']}")
        else:
            click.echo("demo password: the value of DEMO_PASSWORD")
