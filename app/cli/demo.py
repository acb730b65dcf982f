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
def seed(if_empty: bool, responses: int, seed_value: int) -> None:
    """A demo province (41 agencies, 3 blocks), the open wave `demo` and two accounts."""
    if if_empty and not demo.is_empty():
        click.echo("demo: the database already has responses; nothing to do")
        return
    summary = demo.seed(responses=responses, seed_value=seed_value,
                        password=os.environ.get("DEMO_PASSWORD") or None)
    db.session.commit()
    click.echo(f"demo: {summary['agencies']} agencies, wave '{summary['wave']}', "
               f"{summary['responses']} responses")
    if summary["accounts"]:
        click.echo(f"demo accounts: {', '.join(summary['accounts'])}")
        if summary["password_generated"]:
            click.echo(f"demo password (shown once): {summary['password']}")
        else:
            click.echo("demo password: the value of DEMO_PASSWORD")
