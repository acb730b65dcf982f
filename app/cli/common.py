"""Helpers shared by the CLI commands: clear errors, one commit per command."""
from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from app.extensions import db


def fail(lines: Iterable[str] | str, code: int = 1) -> None:
    db.session.rollback()
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


def read_input(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
        raise  # unreachable; keeps type checkers happy
