"""Settings of a survey wave that administrators also change from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import wave_or_fail
from app.collect import paper
from app.extensions import db

group = AppGroup("waves", help="Settings of survey waves.")


@group.command("double-entry")
@click.option("--wave", "slug", required=True)
@click.argument("state", type=click.Choice(["on", "off"]))
def double_entry(slug: str, state: str) -> None:
    """Switch double entry of paper forms on or off: with it on, a paper form counts only when two
    people's keyings of it agree. Audited."""
    wave = wave_or_fail(slug)
    changed = paper.set_double_entry(wave, state == "on")  # audited as "system": the operator's
    db.session.commit()
    pending = paper.pending_count(wave)
    click.echo(f"paper double entry {state} for {wave.slug}" + ("" if changed else " (unchanged)")
               + (f"; {pending} form(s) keyed once are waiting" if pending else ""), err=True)
