"""Published results: a closed wave an administrator has made public, readable without login."""
from __future__ import annotations

from flask import abort, render_template

from app.blueprints import results as results_bp
from app.programme import waves
from app.reports import pages, refresh
from app.results.filters import Filters


@results_bp.get("/results/")
def index():
    return render_template("dashboard/public_index.html", waves=pages.public_waves())


@results_bp.get("/results/<slug>")
def results(slug: str):
    wave = waves.get_wave(slug)
    if wave is None or not wave.results_public:
        abort(404)
    return render_template("dashboard/public.html", public=True,
                           **pages.wave_page(refresh.current(wave), Filters(), public=True))
