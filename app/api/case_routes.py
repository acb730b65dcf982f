"""GET /api/v1/cases: feedback cases for staff systems (⚑ contract in app/api/openapi.py).

Administrators' and officials' tokens read every unit's cases, an agency's token its own unit's
only. Never the contact, the text or the answer: id, unit, category, state and the two dates."""
from __future__ import annotations

from flask import g, jsonify, request

from app.accounts.tokens import token_required
from app.blueprints import api as bp
from app.cases import queries
from app.errors import api_error
from app.programme import agencies

API_STATES = ("open", "overdue", "new", "assigned", "answered", "closed")


@bp.get("/cases")
@token_required("admin", "official", "agency")
def case_list():
    code = request.args.get("agency", "").strip()
    state = request.args.get("state", "").strip()
    if state and state not in API_STATES:
        return api_error(400, f"unknown state '{state[:40]}'; choose one of {', '.join(API_STATES)}", "state")
    if code:
        agency = agencies.by_code(code[:40])
        if agency is None or (g.api_user.role == "agency" and g.api_user.agency_id != agency.id):
            return api_error(404, f"no agency '{code[:40]}'", "agency")
    return jsonify(queries.api_rows(g.api_user, agency_code=code or None, state=state or None))
