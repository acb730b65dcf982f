"""Officials read the results: wave dashboard, agency pages, trends, methodology, exports."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)
results_bp = Blueprint("results", __name__)

from app.dashboard import agency, exports, public, waves  # noqa: E402,F401
