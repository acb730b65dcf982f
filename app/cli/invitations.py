from __future__ import annotations

import csv
import sys

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.extensions import db
from app.services import agencies, invitations, waves

group = AppGroup("invitations", help="Issue invitation links.")


@group.command("issue")
@click.option("--wave", "wave_slug", required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--count", type=click.IntRange(1, 100_000), required=True)
@click.option("--output", type=click.Path(), help="CSV file (default: standard output)")
def issue(wave_slug: str, agency_code: str, count: int, output: str | None) -> None:
    """Write COUNT invitation links as CSV. The raw tokens exist only in this output."""
    wave = waves.get_wave(wave_slug)
    agency = agencies.by_code(agency_code)
    if wave is None:
        fail(f"--wave: no wave '{wave_slug}'")
    if agency is None:
        fail(f"--agency: no agency '{agency_code}'")
    try:
        issued = invitations.issue(wave, agency, count)
    except invitations.InvitationError as exc:
        fail(f"--{exc.field}: {exc}")
    db.session.commit()
    handle = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["url", "agency", "expires_at"])
        for item in issued:
            writer.writerow([item.url, item.agency, item.expires_at.isoformat(timespec="minutes")])
    finally:
        if output:
            handle.close()
    if output:
        click.echo(f"{len(issued)} invitations for {agency.code} written to {output}", err=True)
