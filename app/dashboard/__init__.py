"""Officials read the results: wave dashboard, agency pages, trends, methodology, exports."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)
results_bp = Blueprint("results", __name__)

from app.security import allow_chart_styles  # noqa: E402

bp.after_request(allow_chart_styles)
results_bp.after_request(allow_chart_styles)

from app.dashboard import agency, exports, public, waves  # noqa: E402,F401
