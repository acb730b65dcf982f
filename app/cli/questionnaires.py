"""The `survey` command group (a name operators use, so it stays): validate, publish and list
questionnaire definition files."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

import survey_definitions
from app.cli.common import fail
from app.extensions import db
from app.models import SurveyVersion
from app.programme import questionnaires
from app.shared.refusal import Refusal

group = AppGroup("survey", help="Validate and publish questionnaire definition files.")


def _parse(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: cannot read the file as UTF-8 text ({exc})"]
    questionnaire, problems = survey_definitions.parse(text, str(path))
    return questionnaire, [str(p) for p in problems]


@group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check FILES; print every problem as file:line: field: message."""
    failed = 0
    for path in files:
        questionnaire, problems = _parse(path)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            failed += 1
        else:
            click.echo(f"{path}: ok ({questionnaire.id} v{questionnaire.version}, "
                       f"{len(questionnaire.questions)} questions, checksum {questionnaire.checksum[:12]})")
    if failed:
        fail(f"{failed} of {len(files)} file(s) have problems")


@group.command("publish")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def publish(files: tuple[Path, ...]) -> None:
    """Store FILES as immutable published versions (an unchanged file is a no-op)."""
    for path in files:
        questionnaire, problems = _parse(path)
        if problems:
            fail(problems)
        try:
            version, created = questionnaires.publish_source(path.read_text(encoding="utf-8"), path.name)
        except Refusal as exc:
            fail(str(exc))
        state = "published" if created else "already published, unchanged"
        click.echo(f"{version.slug} v{version.version}: {state} (checksum {version.checksum[:12]})")
    db.session.commit()


@group.command("list")
def list_versions() -> None:
    for version in db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.slug, SurveyVersion.version)):
        click.echo(f"{version.slug}\tv{version.version}\t{version.status}\t{version.checksum[:12]}\t{version.title_en}")
