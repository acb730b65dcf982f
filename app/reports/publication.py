"""A wave's methodology, read from what the estimates actually use; publishing results."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import FrameCount, Margin, Response, User, Wave
from app.models.wave import WAVE_CLOSED
from app.programme.questionnaires import questionnaire_of
from app.quality import review_figures
from app.results import disclosure, funnel, overview, rolled, rollup
from app.results.snapshot import Snapshot
from app.review import integrity_review
from app.shared import audit
from app.shared.refusal import Refusal

CI_METHODS = {"logit": "logit (svyciprop, method = \"logit\")", "kg": "Korn–Graubard",
              "wilson": "Wilson", "wald": "Wald"}


def methodology(snap: Snapshot) -> dict:
    wave = snap.wave
    settings = wave.estimation
    questionnaire = questionnaire_of(wave.survey_version)
    counts = db.session.execute(select(Response.channel, Response.excluded, func.count(Response.id))
                                .where(Response.wave_id == wave.id)
                                .group_by(Response.channel, Response.excluded)).all()
    by_channel: dict[str, int] = {}
    for channel, excluded, count in counts:
        if not excluded:
            by_channel[channel] = by_channel.get(channel, 0) + count
    frame = db.session.execute(select(func.count(FrameCount.id), func.sum(FrameCount.transactions))
                               .where(FrameCount.wave_id == wave.id)).one()
    margins = db.session.scalar(select(func.count(Margin.id)).where(Margin.wave_id == wave.id)) or 0
    weight, count, agencies = rolled.weights(snap)  # per cell of the roll-ups
    held = count > 0
    n_eff = float((weight * count).sum() ** 2 / (weight ** 2 * count).sum()) if held.any() else 0.0
    return {
        "responses": sum(by_channel.values()),
        "excluded": sum(c for _ch, ex, c in counts if ex),
        "by_channel": sorted(by_channel.items()),
        "agencies": len(wave.agencies),
        "agencies_answered": int(agencies[held].nunique()),
        "frame_counts": frame[0] or 0,
        "frame_total": int(frame[1] or 0),
        "margins": margins,
        "raked": bool(margins) and settings.rake,
        "fpc": settings.fpc,
        "weights_min": float(weight[held].min()) if held.any() else None,
        "weights_max": float(weight[held].max()) if held.any() else None,
        "n_eff": n_eff,
        "ci": CI_METHODS.get(settings.ci, settings.ci),
        "level": settings.level,
        "rule": questionnaire.rule or "pooled",
        "factors": {code: len(items) for code, items in questionnaire.factor_items().items()},
        "items": len(questionnaire.rated_items),
        "satisfied": sorted({v for c in questionnaire.rated_items for v in questionnaire.satisfied_values(c)}),
        "min_group": disclosure.minimum(),
        "rank_min_n_eff": overview.RANK_MIN_N_EFF,
        "rank_simulations": overview.RANK_SIMULATIONS,
        "survey": wave.survey_version.label,
        "review_excluded": (found := integrity_review.excluded_summary(wave)),
        "review_excluded_total": review_figures.excluded_by_review(wave) if found else 0,
        "nonresponse": nonresponse(snap),
    }


def nonresponse(snap: Snapshot) -> dict:
    """The representativeness of the invitations' response (R-indicator) and the wave's
    nonresponse adjustment (on or off; its cells and the range of their factors)."""
    wave = snap.wave
    r = funnel.representativeness(wave)
    out = {"on": wave.estimation.nonresponse, "r": r.r, "sd": r.sd, "rate": r.mean, "issued": r.issued,
           "completed": r.completed, "variables": list(r.variables), "cells": 0, "factor_min": None,
           "factor_max": None}
    keys = rolled.read(snap).keys
    if out["on"] and "nonresponse_factor" in keys.columns:
        invited = keys[keys[rollup.INVITED_BY].fillna("") != ""]
        if len(invited):
            out["cells"] = int(invited[["agency", rollup.INVITED_BY]].drop_duplicates().shape[0])
            out["factor_min"] = float(invited["nonresponse_factor"].min())
            out["factor_max"] = float(invited["nonresponse_factor"].max())
    return out


def set_public(wave: Wave, public: bool, user: User | None) -> None:
    """Publish (closed waves only) or withdraw a wave's results page; audited."""
    if public and wave.status != WAVE_CLOSED:
        raise Refusal("public", _("Only a closed wave can be published."))
    before = wave.results_public
    wave.results_public = public
    db.session.flush()
    audit.record("wave.results_public", "wave", wave.id, user=user,
                 before={"results_public": before}, after={"results_public": public})
