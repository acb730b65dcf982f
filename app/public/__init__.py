from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import answer, kiosk_routes, paper_routes, routes  # noqa: E402,F401
from app.public.forms import refuse_broken_utf8  # noqa: E402
from app.public.logfilter import install as _install_log_filter  # noqa: E402


def _on_register(state) -> None:
    _install_log_filter(state.app)
    # First in line: later before-request functions parse the form, after which the raw body is gone.
    state.app.before_request_funcs.setdefault(None, []).insert(0, refuse_broken_utf8)


bp.record_once(_on_register)
