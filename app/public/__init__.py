from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import answer, kiosk_routes, paper_routes, routes  # noqa: E402,F401
from app.public.logfilter import install as _install_log_filter  # noqa: E402

bp.record_once(lambda state: _install_log_filter(state.app))
