from __future__ import annotations

import csv
import sys

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.extensions import db
from app.services import agencies, invitations, qr, waves

group = AppGroup("invitations", help="Issue invitation links.")


@group.command("issue")
@click.option("--wave", "wave_slug", required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--count", type=click.IntRange(1, 100_000), required=True)
@click.option("--output", type=click.Path(), help="CSV file (default: standard output)")
@click.option("--qr-dir", type=click.Path(file_okay=False), help="also write a QR code (PNG and SVG) per link here")
def issue(wave_slug: str, agency_code: str, count: int, output: str | None, qr_dir: str | None) -> None:
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
    qr_files = qr.write_all([item.url for item in issued], qr_dir) if qr_dir else None
    handle = open(output, "w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(["url", "agency", "expires_at"] + (["qr_png", "qr_svg"] if qr_files else []))
        for number, item in enumerate(issued):
            extra = list(qr_files[number]) if qr_files else []
            writer.writerow([item.url, item.agency, item.expires_at.isoformat(timespec="minutes"), *extra])
    finally:
        if output:
            handle.close()
    if output:
        click.echo(f"{len(issued)} invitations for {agency.code} written to {output}", err=True)
