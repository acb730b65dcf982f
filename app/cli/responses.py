from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from app.cli.common import fail, read_input, wave_or_fail
from app.extensions import db
from app.review import exchange
from app.shared.csvio import ImportRejected

group = AppGroup("responses", help="Import and export a wave's responses.")


@group.command("export")
@click.option("--wave", "wave_slug", required=True)
@click.option("--format", "fmt", type=click.Choice([*exchange.FORMATS, *exchange.DATASETS]), default="csv",
              show_default=True)
@click.option("--output", type=click.Path(), required=True, help="a file; for parquet a new or empty folder")
def export(wave_slug: str, fmt: str, output: str) -> None:
    """One row per response: response_id, agency, block, channel, language, submitted_on, weight, answers.

    With --format parquet, OUTPUT is a folder that gets one file per agency, OUTPUT/<agency>.parquet."""
    if fmt in exchange.DATASETS:
        _export_dataset(wave_or_fail(wave_slug), output)
        return

    def progress(done: int, total: int) -> None:  # Excel takes seconds for a large wave: say how far
        click.echo(f"{fmt}: {done} of {total} rows written ({100 * done // max(total, 1)} %)", err=True)

    data, warnings = exchange.export_file(wave_or_fail(wave_slug), fmt, progress)
    with open(output, "wb") as handle:
        handle.write(data)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {output}")


def _export_dataset(wave, output: str) -> None:
    if os.path.exists(output) and not os.path.isdir(output):
        fail(f"--output: {output} is a file; parquet writes a folder of files (one per agency)")
    if os.path.isdir(output) and os.listdir(output):
        fail(f"--output: folder {output} is not empty; give a new or empty folder")
    os.makedirs(output, exist_ok=True)
    paths = exchange.write_parquet(wave, output)
    if not paths:
        click.echo(f"warning: wave {wave.slug} has no responses; no file written", err=True)
    click.echo(f"wrote {len(paths)} files to {output} (one per agency)")


@group.command("import")
@click.option("--wave", "wave_slug", required=True)
@click.argument("file", type=click.Path())
def import_responses(wave_slug: str, file: str) -> None:
    """Store the rows of FILE.csv or FILE.xlsx (the export's shape) as responses; all rows or none."""
    wave = wave_or_fail(wave_slug)
    data = read_input(file)
    try:
        if file.lower().endswith(".xlsx"):
            data = exchange.xlsx_to_csv(data)
        count = exchange.import_csv(wave, data)
    except ImportRejected as exc:
        fail([f"{file}: {e}" for e in exc.errors] + ["nothing was imported"])
    db.session.commit()
    click.echo(f"{count} responses imported into {wave.slug}")
