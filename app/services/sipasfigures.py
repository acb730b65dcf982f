"""SIPAS figures beside the indices: late results, apology letters, expectations, Decision 766.

Each is estimated with the wave's design weights and strata (analysis.sipas), for the filtered
subpopulation as a domain.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from app.models import Wave
from app.services import dashboard
from app.services.surveys import questionnaire_of
from survey_definitions import Questionnaire

EXPECTATION_SECTION = "expectations"


def expectation_codes(questionnaire: Questionnaire) -> list[str]:
    try:
        section = questionnaire.section(EXPECTATION_SECTION)
    except KeyError:
        return []
    return [q.code for q in section.questions if q.type == "scale"]


def _late_column(questionnaire: Questionnaire, data: pd.DataFrame) -> pd.Series | None:
    codes = {q.code for q in questionnaire.questions}
    if "late" in codes:
        return pd.to_numeric(data["late"], errors="coerce")
    if "on_time" in codes:
        return 1 - pd.to_numeric(data["on_time"], errors="coerce")
    return None


def _domain_rows(table: pd.DataFrame, filters: dashboard.Filters, by: list[str]) -> pd.DataFrame:
    rows = table
    if filters.block:
        rows = rows[rows["block"] == filters.block]
    if filters.channel:
        rows = rows[rows["channel"].astype(str) == filters.channel]
    if filters.service_field:
        rows = rows[pd.to_numeric(rows["service_field"], errors="coerce") == float(filters.service_field)]
    return rows.drop(columns=[c for c in by if c in rows.columns]).reset_index(drop=True)


def _by(filters: dashboard.Filters) -> list[str]:
    return (["block"] if filters.block else []) + filters.dims


def figures(wave: Wave, filters: dashboard.Filters) -> dict:
    """{'late', 'apology', 'decision766': row dict or None, 'expectations': DataFrame}."""
    from analysis import sipas
    from analysis.rates import compute_rates

    questionnaire = questionnaire_of(wave.survey_version)
    data = dashboard.frame(wave)
    out: dict = {"late": None, "apology": None, "decision766": None, "expectations": None}
    if data.empty:
        return out
    by = _by(filters) or None
    design = dashboard.design(wave)
    late = _late_column(questionnaire, data)
    if late is not None:
        marked = data.assign(_late=np.where(late.isna(), np.nan, late + 1))  # 2 = late, 1 = on time
        table = compute_rates(marked, ["_late"], by=by, satisfied=(2,), **design)
        out["late"] = _first(_domain_rows(table, filters, by or []))
        if "apology" in data.columns:
            marked = data.assign(_is_late=late)
            table = sipas.apology_rate(marked, late="_is_late", apology="apology", by=by, **design)
            out["apology"] = _first(_domain_rows(table, filters, by or []))
    areas = expectation_codes(questionnaire)
    if areas:
        table = sipas.expectation_shares(data, areas, top=(3,), by=by, **design)
        out["expectations"] = _domain_rows(table, filters, by or [])
    if questionnaire.definition.kind == "per_case" and late is not None:
        marked = data.assign(_overdue=late, _complaint=data.get("complaint"))
        table = sipas.decision766(marked, overdue="_overdue", complaint="_complaint",
                                  rating="satisfaction" if "satisfaction" in data else None,
                                  negative=(1,), by=by, **design)
        out["decision766"] = _first(_domain_rows(table, filters, by or []))
    return out


def _first(table: pd.DataFrame) -> dict | None:
    return table.iloc[0].to_dict() if len(table) else None
