"""Flask CLI command groups (`flask --app app GROUP COMMAND`)."""
from flask import Flask


def init_app(app: Flask) -> None:
    from app.cli import (
        agencies,
        cases,
        comments,
        demo,
        invitations,
        kiosks,
        opendata,
        outbox,
        questionnaires,
        responses,
        results,
        users,
        waves,
    )

    for module in (questionnaires, agencies, users, invitations, responses, results, demo, kiosks, waves, cases,
                   outbox, comments, opendata):
        app.cli.add_command(module.group)
