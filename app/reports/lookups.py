"""Lookups shared by the dashboard routes: 404 for unknown waves and agencies, 403 for scope."""
from __future__ import annotations

from flask import abort

from app.accounts.access import can_see_agency, current_user
from app.models import Agency, User, Wave
from app.models.wave import WAVE_DRAFT
from app.programme import agencies, waves

STAFF = ("admin", "official")


def wave_visible(user: User | None, wave: Wave) -> bool:
    """Staff see every wave; an agency account only the non-draft waves its agency is in (another
    agency's waves, drafts and their methodology pages are not its business)."""
    if user is not None and user.role in STAFF:
        return True
    return (user is not None and user.agency_id is not None and wave.status != WAVE_DRAFT
            and user.agency_id in {a.id for a in wave.agencies})


def wave_or_404(slug: str) -> Wave:
    wave = waves.get_wave(slug)
    if wave is None or not wave_visible(current_user(), wave):
        abort(404)
    return wave


def agency_or_404(wave: Wave, code: str) -> Agency:
    agency = agencies.by_code(code)
    if agency is None or agency.id not in {a.id for a in wave.agencies}:
        abort(404)
    if not can_see_agency(current_user(), agency.id):
        abort(403)
    return agency
