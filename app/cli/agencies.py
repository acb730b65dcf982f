from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli.common import fail, read_input
from app.extensions import db
from app.programme import agencies, reorganise
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


@group.command("reorganise")
@click.argument("file", type=click.Path())
@click.option("--dry-run", is_flag=True, help="check the file and print what would change; change nothing")
def reorganise_agencies(file: str, dry_run: bool) -> None:
    """Merge or split agencies from FILE.csv (old_code,new_code,share,effective_on); all or nothing.

    Each old unit's shares sum to 1; new units must exist (agencies import first); each old unit
    ends the day before effective_on."""
    try:
        result = reorganise.plan(read_input(file)) if dry_run else reorganise.apply(read_input(file))
    except ImportRejected as exc:
        fail([f"{file}: {e}" for e in exc.errors] + ["nothing was changed"])
    for old, successors in result.successors().items():
        _before, end = result.ends[old]
        parts = ", ".join(f"{new} ({share:g})" for new, share in successors)
        click.echo(f"{old} → {parts}; {old} ends on {end.isoformat()}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {len(result.ends)} units would be reorganised; nothing was changed")
        return
    db.session.commit()
    click.echo(f"{len(result.ends)} units reorganised into {len(result.predecessors())}")
