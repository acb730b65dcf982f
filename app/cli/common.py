"""Helpers shared by the CLI commands: clear errors, one commit per command."""
from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from app.extensions import db
from app.programme import waves


def fail(lines: Iterable[str] | str, code: int = 1) -> None:
    db.session.rollback()
    for line in [lines] if isinstance(lines, str) else lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


def wave_or_fail(slug: str):
    """The wave with this slug, or a one-line error naming --wave (exit 1)."""
    wave = waves.get_wave(slug)
    if wave is None:
        fail(f"--wave: no wave '{slug}'")
    return wave


def read_input(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
        raise  # unreachable; keeps type checkers happy
