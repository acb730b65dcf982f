"""Administration: agencies, waves, invitations, questionnaires, responses, audit, accounts."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import (  # noqa: E402,F401
    accounts,
    agencies,
    audit,
    comments,
    context,
    home,
    invitations,
    keys,
    questionnaire_io,
    questionnaires,
    responses,
    wave_data,
    waves,
)
