from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import fail, read_input
from app.extensions import db
from app.programme import agencies
from app.shared.csvio import ImportRejected

group = AppGroup("agencies", help="Import and export agencies.")


@group.command("import")
@click.argument("file", type=click.Path())
def import_agencies(file: str) -> None:
    """Create or update agencies from FILE.csv (code,name_vi,name_en,block,parent,level); all or nothing."""
    try:
        created, updated = agencies.import_csv(read_input(file))
    except ImportRejected as exc:
        fail([f"{file}: {e}" for e in exc.errors] + ["nothing was imported"])
    db.session.commit()
    click.echo(f"{created} agencies created, {updated} updated")


@group.command("export")
@click.option("--output", type=click.Path(), help="default: standard output")
def export_agencies(output: str | None) -> None:
    text = agencies.export_csv()
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)
