"""Published results: a closed wave an administrator has made public, readable without login."""
from __future__ import annotations

from flask import abort, render_template

from app.dashboard import results_bp
from app.services import dashboard, dashpages, waves


@results_bp.get("/results/")
def index():
    return render_template("dashboard/public_index.html", waves=dashpages.public_waves())


@results_bp.get("/results/<slug>")
def results(slug: str):
    wave = waves.get_wave(slug)
    if wave is None or not wave.results_public:
        abort(404)
    return render_template("dashboard/public.html", public=True,
                           **dashpages.wave_page(wave, dashboard.Filters(), public=True))
