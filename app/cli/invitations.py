from __future__ import annotations

import csv
import io
import sys

import click
from flask.cli import AppGroup

from app.cli.common import fail, read_input, wave_or_fail
from app.collect import invitations
from app.extensions import db
from app.programme import agencies
from app.reach import contacts, sending
from app.reach.contacts import CHANNELS, LANGUAGES
from app.shared import qr
from app.shared.csvio import ImportRejected
from app.shared.refusal import Refusal

group = AppGroup("invitations", help="Issue invitation links.")


def _targets(wave_slug: str, agency_code: str, processing_code: str | None):
    """The wave, the receiving agency and the processing unit (None) the options name, or exit."""
    wave = wave_or_fail(wave_slug)
    agency = agencies.by_code(agency_code)
    if agency is None:
        fail(f"--agency: no agency '{agency_code}'")
    processing = agencies.by_code(processing_code) if processing_code else None
    if processing_code and processing is None:
        fail(f"--processing-unit: no agency '{processing_code}'")
    return wave, agency, processing


@group.command("issue")
@click.option("--wave", "wave_slug", required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--count", type=click.IntRange(1, 100_000), required=True)
@click.option("--output", type=click.Path(), help="CSV file (default: standard output)")
@click.option("--qr-dir", type=click.Path(file_okay=False), help="also write a QR code (PNG and SVG) per link here")
@click.option("--processing-unit", "processing_code", default=None,
              help="agency code of the unit that processes the dossiers, when not the receiving --agency")
def issue(wave_slug: str, agency_code: str, count: int, output: str | None, qr_dir: str | None,
          processing_code: str | None) -> None:
    """Write COUNT invitation links as CSV. The raw tokens exist only in this output."""
    wave, agency, processing = _targets(wave_slug, agency_code, processing_code)
    try:
        issued = invitations.issue(wave, agency, count, actor_name="cli",
                                   processing_agency_id=processing.id if processing else None)
    except Refusal as exc:
        fail(f"--{exc.field}: {exc}")
    # The links are written out before the invitations are committed: a file that cannot be
    # written (or an interrupted run) leaves no undelivered invitations behind.
    try:
        qr_files = qr.write_all([item.url for item in issued], qr_dir) if qr_dir else None
        body = io.StringIO()
        writer = csv.writer(body)
        writer.writerow(["url", "agency", "expires_at"] + (["qr_png", "qr_svg"] if qr_files else []))
        for number, item in enumerate(issued):
            extra = list(qr_files[number]) if qr_files else []
            writer.writerow([item.url, item.agency, item.expires_at.isoformat(timespec="minutes"), *extra])
        if output:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                handle.write(body.getvalue())
        else:
            sys.stdout.write(body.getvalue())
            sys.stdout.flush()
    except BaseException as exc:
        db.session.rollback()
        if isinstance(exc, OSError):
            fail(f"--output: cannot write the links ({exc.strerror or exc}); no invitation was issued")
        raise
    db.session.commit()
    if output:
        click.echo(f"{len(issued)} invitations for {agency.code} written to {output}", err=True)


@group.command("send")
@click.option("--wave", "wave_slug", required=True)
@click.option("--agency", "agency_code", required=True)
@click.option("--channel", type=click.Choice(CHANNELS), required=True)
@click.option("--input", "input_path", required=True, type=click.Path(dir_okay=False),
              help="CSV with a column 'address' and optional 'dossier' and 'language' (vi|en)")
@click.option("--language", type=click.Choice(LANGUAGES), default="vi", show_default=True,
              help="language of the rows without one")
@click.option("--processing-unit", "processing_code", default=None,
              help="agency code of the unit that processes the dossiers, when not the receiving --agency")
def send(wave_slug: str, agency_code: str, channel: str, input_path: str, language: str,
         processing_code: str | None) -> None:
    """Issue one invitation per contact and queue its message (sent by `flask outbox run`).
    A file with one bad line is refused whole: nothing is written."""
    wave, agency, processing = _targets(wave_slug, agency_code, processing_code)
    try:
        parsed = contacts.parse(wave, channel, read_input(input_path), language)
        sent = sending.send(wave, agency, parsed, actor_name="cli",
                            processing_agency_id=processing.id if processing else None)
    except ImportRejected as exc:
        fail([f"--input: line {e.line}" + (f", column {e.column}" if e.column else "") + f": {e.message}"
              for e in exc.errors])
    except Refusal as exc:
        fail(f"--{exc.field}: {exc}")
    db.session.commit()
    click.echo(f"{sent.queued} invitations queued for {sent.agency} by {sent.channel} "
               f"({sent.skipped} skipped: opted out)")
