"""GET /api/v1/waves/<slug>/flags: the integrity review's flagged responses (⚑ contract in
app/api/openapi.py), for administrators only: response number, unit and reasons — never answers,
times or addresses."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from app.accounts.tokens import token_required
from app.blueprints import api as bp
from app.errors import api_error
from app.extensions import db
from app.models import Wave
from app.programme import agencies
from app.review import integrity_review


@bp.get("/waves/<slug>/flags")
@token_required("admin")
def wave_flags(slug: str):
    wave = db.session.scalar(select(Wave).where(Wave.slug == slug[:80]))
    if wave is None:
        return api_error(404, f"no wave '{slug[:80]}'", "slug")
    code = request.args.get("agency", "").strip()
    agency = None
    if code:
        agency = agencies.by_code(code[:40])
        if agency is None:
            return api_error(404, f"no agency '{code[:40]}'", "agency")
    integrity_review.ensure_checked(wave)
    db.session.commit()
    rows = integrity_review.flagged(wave, agency_id=agency.id if agency else None)
    return jsonify([{"response_id": f.response_id, "agency": f.agency, "reasons": sorted(f.reasons),
                     "decision": f.decision} for f in rows])
