"""Open-data releases from the command line: what a weekly timer runs (deploy/sipas-opendata@.timer)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import fail, wave_or_fail
from app.extensions import db
from app.opendata import releases
from app.shared.refusal import Refusal

group = AppGroup("opendata", help="Open-data releases of a wave's figures (/open/<wave>/...).")


@group.command("release")
@click.option("--wave", "slug", required=True, help="the wave's slug")
@click.option("--publish", "publish_it", is_flag=True, help="publish it too (at once, or when the embargo ends)")
@click.option("--embargo-until", default="", help="local date and time before which it stays hidden, e.g. 2026-12-07T09:00")
def release(slug: str, publish_it: bool, embargo_until: str) -> None:
    """Freeze the wave's figures as its next release, as the administrator's page does; with
    --publish it opens at /open/<wave>/<number>.csv|json at once or at the end of the embargo.
    Figures that changed by too few answers since an earlier release are hidden (see the README)."""
    wave = wave_or_fail(slug)
    try:
        result = releases.make(wave, None, releases.embargo_from(embargo_until))
        made = result.release
        if publish_it:
            releases.publish(made, None)
    except Refusal as exc:
        fail(f"--{exc.field.replace('_', '-')}: {exc}")
    db.session.commit()
    hidden = sum(r["suppressed"] for r in made.rows)
    state = (f"published, visible from {made.published_at:%Y-%m-%d %H:%M} UTC" if made.published_at
             else "not published")
    click.echo(f"{wave.slug}: release {made.number}, {len(made.rows)} figures ({hidden} hidden, "
               f"{result.hidden_as_changes} of them as small changes since an earlier release); {state}")
