"""The six blueprints (public, auth, admin, dashboard, results, api) and their hooks. No routes: each
feature's view modules add theirs, and the factory imports them before registering."""
from __future__ import annotations

from flask import Blueprint

from app.extensions import csrf
from app.logfilter import install as install_log_filter
from app.security import allow_chart_styles, refuse_broken_utf8

public = Blueprint("public", __name__)  # citizens: invitation links, kiosk, paper entry
auth = Blueprint("auth", __name__)  # login and logout
admin = Blueprint("admin", __name__, url_prefix="/admin")
dashboard = Blueprint("dashboard", __name__, url_prefix="/dashboard")  # officials and agencies
results = Blueprint("results", __name__)  # published results, readable without login
api = Blueprint("api", __name__, url_prefix="/api/v1")

csrf.exempt(api)
dashboard.after_request(allow_chart_styles)
results.after_request(allow_chart_styles)


def _on_register_public(state) -> None:
    install_log_filter(state.app)
    # First in line: later before-request functions parse the form, after which the raw body is gone.
    state.app.before_request_funcs.setdefault(None, []).insert(0, refuse_broken_utf8)


public.record_once(_on_register_public)

ALL = (public, auth, api, admin, dashboard, results)
