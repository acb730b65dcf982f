from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.accounts import users
from app.cli.common import fail
from app.extensions import db
from app.models.user import ROLES
from app.shared.refusal import Refusal

group = AppGroup("users", help="Manage accounts.")


@group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", "agency_code", help="agency code (required for roles agency and entry)")
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create(email: str, role: str, agency_code: str | None, name: str, password_stdin: bool) -> None:
    """Create an account; the password comes from standard input, never from the command line."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(email, role, password, agency_code=agency_code, name=name)
    except Refusal as exc:
        fail(f"{exc.field}: {exc}")
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")
