"""The respondent table the dashboard reads (rated items, expectations, SIPAS figures, margins),
and who counts in each figure's n.

(The sampling frame, the population the wave samples from, is app.programme.frame; this is the
sample's side.)"""
from __future__ import annotations

import numpy as np
import pandas as pd

from app.models import Wave
from app.programme.questionnaires import questionnaire_of
from app.results import design
from app.results.snapshot import Snapshot
from survey_definitions import Questionnaire

EXPECTATION_SECTION = "expectations"
# Questions the dashboard's SIPAS figures read besides the rated items and the expectations.
FIGURE_CODES = ("late", "on_time", "apology", "complaint", "satisfaction", "service_field")


def expectation_codes(questionnaire: Questionnaire) -> list[str]:
    try:
        section = questionnaire.section(EXPECTATION_SECTION)
    except KeyError:
        return []
    return [q.code for q in section.questions if q.type == "scale"]


def late_column(questionnaire: Questionnaire, data: pd.DataFrame) -> pd.Series | None:
    """1 where the result came late, 0 on time, NaN unanswered (from "late" or "on_time")."""
    codes = {q.code for q in questionnaire.questions}
    if "late" in codes:
        return pd.to_numeric(data["late"], errors="coerce")
    if "on_time" in codes:
        return 1 - pd.to_numeric(data["on_time"], errors="coerce")
    return None


def dashboard_codes(wave: Wave) -> list[str]:
    """The questions the dashboard reads: rated items, expectations, SIPAS figures, margins."""
    questionnaire = questionnaire_of(wave.survey_version)
    known = {q.code for q in questionnaire.questions}
    margins = design.wave_margins(wave)
    extra = [] if margins is None else [v for v in margins["variable"].unique() if v in known]
    wanted = [*questionnaire.rated_items, *expectation_codes(questionnaire), *FIGURE_CODES, *extra]
    return [c for c in dict.fromkeys(wanted) if c in known]


def dashboard_table(snap: Snapshot) -> pd.DataFrame:
    """The wave's respondent table with the questions the dashboard reads (and each respondent's
    stratum population when the wave applies the finite population correction), per snapshot."""
    def build() -> pd.DataFrame:
        data = snap.table(dashboard_codes(snap.wave))
        if snap.wave.estimation.fpc and len(data):
            data["population"] = design.stratum_populations(snap.wave, data)
        return data

    return snap.cached("respondents", build)


def answered_masks(wave: Wave, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per measure of the wave's estimates, which respondents count in its n (at least one answer)."""
    questionnaire = questionnaire_of(wave.survey_version)
    out = {code: data[code].notna().to_numpy() for code in questionnaire.rated_items if code in data}
    factors = questionnaire.factor_items()
    for name, items in factors.items():
        out[name] = np.logical_or.reduce([out[c] for c in items if c in out] or [np.zeros(len(data), bool)])
    if factors:
        members = sorted({c for items in factors.values() for c in items if c in out})
        out["overall"] = np.logical_or.reduce([out[c] for c in members] or [np.zeros(len(data), bool)])
    return out


def figure_bases(wave: Wave, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Who counts in each SIPAS figure's n beside the indices (app.results.sipas_figures):
    app.results.disclosure hides the same cells as for the indices."""
    questionnaire = questionnaire_of(wave.survey_version)
    out = {code: data[code].notna().to_numpy() for code in expectation_codes(questionnaire) if code in data}
    late = late_column(questionnaire, data)
    if late is not None:
        out["extra:late"] = out["extra:decision766"] = late.notna().to_numpy()
        if "apology" in data.columns:
            out["extra:apology"] = ((late == 1) & data["apology"].notna()).to_numpy()
    return out
