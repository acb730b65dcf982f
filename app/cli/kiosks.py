from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.collect import kiosks
from app.extensions import db
from app.programme import agencies
from app.shared import qr

group = AppGroup("kiosk", help="Kiosk keys for the tablets at agencies' desks.")


@group.command("issue")
@click.option("--agency", "agency_code", required=True)
@click.option("--label", default="", help="where the device stands, e.g. 'desk 2'")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False), help="also write the setup link as a QR code (.png or .svg)")
def issue(agency_code: str, label: str, qr_file: str | None) -> None:
    """Print the one-time setup link for a kiosk; open it once on the device."""
    agency = agencies.by_code(agency_code)
    if agency is None:
        fail(f"--agency: no agency '{agency_code}'")
    issued = kiosks.issue(agency, label)  # audited as "system": the command line is the operator's
    db.session.commit()
    click.echo(issued.setup_url)
    if qr_file:
        data = qr.svg(issued.setup_url) if qr_file.lower().endswith(".svg") else qr.png(issued.setup_url)
        with open(qr_file, "wb") as handle:
            handle.write(data)
    click.echo(f"kiosk key {issued.row.id} for {agency.code}: open the link above once on the device; "
               f"it is not stored anywhere else.", err=True)


@group.command("revoke")
@click.option("--agency", "agency_code", required=True)
@click.option("--id", "key_id", type=int, help="one key (default: every key of the agency)")
def revoke(agency_code: str, key_id: int | None) -> None:
    """Revoke kiosk keys: the devices holding them stop collecting answers at once."""
    agency = agencies.by_code(agency_code)
    if agency is None:
        fail(f"--agency: no agency '{agency_code}'")
    rows = [r for r in kiosks.keys_of(agency) if r.revoked_at is None and (key_id is None or r.id == key_id)]
    if key_id is not None and not rows:
        fail(f"--id: no active kiosk key {key_id} for {agency.code}")
    for row in rows:
        kiosks.revoke(row)
    db.session.commit()
    click.echo(f"{len(rows)} kiosk key(s) revoked for {agency.code}", err=True)
