"""Open data at stable URLs, readable without login: /open/ (the list), /open/catalog.json (DCAT),
/open/<wave>/<number>.csv|json (one release, never changed once published), /open/<wave>/latest.csv|json."""
from __future__ import annotations

from flask import Response, abort, jsonify, redirect, render_template, url_for
from sqlalchemy import select

from app.blueprints import results as bp
from app.extensions import db
from app.models import OpenRelease, Wave
from app.opendata import releases


@bp.get("/open/")
def open_index():
    return render_template("dashboard/open.html", releases=releases.visible())


@bp.get("/open/catalog.json")
def open_catalog():
    return jsonify(releases.catalog())


@bp.get("/open/<slug>/<int:number>.<ext>")
def open_release(slug: str, number: int, ext: str):
    if ext not in ("csv", "json"):
        abort(404)
    release = db.session.scalar(select(OpenRelease).join(Wave, Wave.id == OpenRelease.wave_id)
                                .where(Wave.slug == slug[:80], OpenRelease.number == number))
    if release is None or not releases.is_visible(release):
        abort(404)
    if ext == "json":
        return jsonify({"metadata": releases.metadata(release), "columns": list(releases.COLUMNS),
                        "rows": release.rows})
    body = releases.as_csv(release.rows)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{slug}-{number}.csv"', "ETag": f'"{release.checksum}"',
        "Cache-Control": "public, max-age=86400"})


@bp.get("/open/<slug>/latest.<ext>")
def open_latest(slug: str, ext: str):
    found = releases.visible(slug[:80])
    if not found or ext not in ("csv", "json"):
        abort(404)
    return redirect(url_for("results.open_release", slug=slug, number=found[-1].number, ext=ext), 302)
