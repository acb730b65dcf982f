"""SIPAS figures beside the indices: late results, apology letters, expectations, Decision 766.

Each is estimated with the wave's design weights and strata (analysis.sipas), for the filtered
subpopulation as a domain.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from app.models import Wave
from app.programme.questionnaires import questionnaire_of
from app.results import overview
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


def _in_domain(data: pd.DataFrame, filters: overview.Filters) -> pd.Series:
    inside = pd.Series(True, index=data.index)
    if filters.block:
        inside &= data["block"] == filters.block
    if filters.channel:
        inside &= data["channel"].astype(str) == filters.channel
    if filters.service_field:
        inside &= pd.to_numeric(data["service_field"], errors="coerce") == float(filters.service_field)
    return inside


def _estimate(run, filters: overview.Filters) -> pd.DataFrame | None:
    """Run an estimator on the whole sample with the filter as a domain; None if it is empty."""
    try:
        table = run(["_domain"] if filters.as_args() else None)
    except ValueError:  # an empty domain: nobody in the subpopulation answered
        return None
    if filters.as_args():
        table = table[table["_domain"] == "in"].drop(columns=["_domain"])
    return table.reset_index(drop=True)


def _with(data: pd.DataFrame, **columns) -> pd.DataFrame:
    """``data`` with some columns added, sharing the rest: the wave's table has a column per
    question and a million rows, and ``assign`` would copy all of them."""
    out = data.copy(deep=False)
    for name, values in columns.items():
        out[name] = values
    return out


def figures(wave: Wave, filters: overview.Filters) -> dict:
    """{'late', 'apology', 'decision766': row dict or None, 'expectations': DataFrame}."""
    from analysis import sipas
    from analysis.rates import compute_rates

    questionnaire = questionnaire_of(wave.survey_version)
    data = overview.frame(wave)
    out: dict = {"late": None, "apology": None, "decision766": None, "expectations": None}
    if data.empty:
        return out
    data = _with(data, _domain=np.where(_in_domain(data, filters), "in", "out"))
    design = overview.design(wave)
    late = _late_column(questionnaire, data)
    if late is not None:
        marked = _with(data, _late=np.where(late.isna(), np.nan, late + 1), _is_late=late)  # 2 = late
        out["late"] = _first(_estimate(lambda by: compute_rates(marked, ["_late"], by=by, satisfied=(2,),
                                                                **design), filters))
        if "apology" in data.columns:
            out["apology"] = _first(_estimate(lambda by: sipas.apology_rate(
                marked, late="_is_late", apology="apology", by=by, **design), filters))
    areas = expectation_codes(questionnaire)
    if areas:
        out["expectations"] = _estimate(lambda by: sipas.expectation_shares(data, areas, top=(3,), by=by,
                                                                            **design), filters)
    if questionnaire.definition.kind == "per_case" and late is not None:
        marked = _with(data, _overdue=late, _complaint=data.get("complaint"))
        out["decision766"] = _first(_estimate(lambda by: sipas.decision766(
            marked, overdue="_overdue", complaint="_complaint",
            rating="satisfaction" if "satisfaction" in data else None, negative=(1,), by=by, **design), filters))
    return _published(wave, out, filters)


def extra_bases(wave: Wave, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Who counts in each figure's n (app.services.disclosure hides the same cells as for the indices)."""
    questionnaire = questionnaire_of(wave.survey_version)
    out = {code: data[code].notna().to_numpy() for code in expectation_codes(questionnaire) if code in data}
    late = _late_column(questionnaire, data)
    if late is not None:
        out["extra:late"] = out["extra:decision766"] = late.notna().to_numpy()
        if "apology" in data.columns:
            out["extra:apology"] = ((late == 1) & data["apology"].notna()).to_numpy()
    return out


def _published(wave: Wave, out: dict, filters: overview.Filters) -> dict:
    """The figures of a filter cell that complementary suppression hides are not shown."""
    from app.results import disclosure

    cell = filters.as_args()
    for name in ("late", "apology", "decision766"):
        out[name] = disclosure.published_row(wave, f"extra:{name}", cell, out[name])
    shares = out["expectations"]
    if shares is not None and len(shares):
        rows = [disclosure.published_row(wave, row["measure"], cell, row) for row in shares.to_dict(orient="records")]
        out["expectations"] = pd.DataFrame(rows, columns=[*shares.columns, "suppressed"])
    return out


def _first(table: pd.DataFrame | None) -> dict | None:
    return table.iloc[0].to_dict() if table is not None and len(table) else None
