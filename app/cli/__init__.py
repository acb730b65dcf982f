"""Flask CLI command groups (`flask --app app GROUP COMMAND`)."""
from flask import Flask


def init_app(app: Flask) -> None:
    from app.cli import agencies, demo, invitations, kiosk, responses, survey, users, waves

    for module in (survey, agencies, users, invitations, responses, demo, kiosk, waves):
        app.cli.add_command(module.group)
