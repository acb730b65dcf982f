"""GET /api/v1/waves/<slug>/funnel: a wave's response funnel (⚑ contract in ../shared/DESIGN.md,
described in app/api/openapi.py).

Administrators' and officials' tokens read every agency's rows, an agency's token its own rows
only. Counts of invitations per agency × channel (× ISO week), never anything per person."""
from __future__ import annotations

from flask import g, jsonify, request

from app.accounts.tokens import token_required
from app.blueprints import api as bp
from app.errors import api_error
from app.programme import waves
from app.reports.lookups import wave_visible
from app.results import funnel


@bp.get("/waves/<slug>/funnel")
@token_required("admin", "official", "agency")
def wave_funnel(slug: str):
    wave = waves.get_wave(slug)
    if wave is None or not wave_visible(g.api_user, wave):
        return api_error(404, f"no wave '{slug[:80]}'", "slug")
    by = list(dict.fromkeys(c.strip() for c in request.args.get("by", "agency").split(",") if c.strip()))
    unknown = [c for c in by if c not in funnel.BY]
    if unknown or "agency" not in by:
        return api_error(400, f"by must be 'agency' or 'agency,week', not '{request.args.get('by', '')[:60]}'",
                         "by")
    return jsonify(wave=wave.slug, rows=funnel.api_rows(wave, by, g.api_user))
