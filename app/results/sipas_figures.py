"""SIPAS figures beside the indices: late results, apology letters, expectations, Decision 766.

Each is estimated with the wave's design weights and strata (analysis.sipas), for the filtered
subpopulation as a domain.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from app.programme.questionnaires import questionnaire_of
from app.results import design, disclosure, respondents
from app.results.filters import Filters, in_domain
from app.results.respondents import late_column
from app.results.snapshot import Snapshot


def _estimate(run, filters: Filters) -> pd.DataFrame | None:
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


def figures(snap: Snapshot, filters: Filters) -> dict:
    """{'late', 'apology', 'decision766': row dict or None, 'expectations': DataFrame}."""
    from analysis import sipas  # scipy: slow to import, only figures need it
    from analysis.rates import compute_rates  # scipy: slow to import, only figures need it

    wave = snap.wave
    questionnaire = questionnaire_of(wave.survey_version)
    data = respondents.dashboard_table(snap)
    out: dict = {"late": None, "apology": None, "decision766": None, "expectations": None}
    if data.empty:
        return out
    data = _with(data, _domain=np.where(in_domain(data, filters), "in", "out"))
    options = design.options(wave)
    late = late_column(questionnaire, data)
    if late is not None:
        marked = _with(data, _late=np.where(late.isna(), np.nan, late + 1), _is_late=late)  # 2 = late
        out["late"] = _first(_estimate(lambda by: compute_rates(marked, ["_late"], by=by, satisfied=(2,),
                                                                **options), filters))
        if "apology" in data.columns:
            out["apology"] = _first(_estimate(lambda by: sipas.apology_rate(
                marked, late="_is_late", apology="apology", by=by, **options), filters))
    areas = respondents.expectation_codes(questionnaire)
    if areas:
        out["expectations"] = _estimate(lambda by: sipas.expectation_shares(data, areas, top=(3,), by=by,
                                                                            **options), filters)
    if questionnaire.definition.kind == "per_case" and late is not None:
        marked = _with(data, _overdue=late, _complaint=data.get("complaint"))
        out["decision766"] = _first(_estimate(lambda by: sipas.decision766(
            marked, overdue="_overdue", complaint="_complaint",
            rating="satisfaction" if "satisfaction" in data else None, negative=(1,), by=by, **options), filters))
    return _published(snap, out, filters)


def _published(snap: Snapshot, out: dict, filters: Filters) -> dict:
    """The figures of a filter cell that complementary suppression hides are not shown."""
    cell = filters.as_args()
    for name in ("late", "apology", "decision766"):
        out[name] = disclosure.published_row(snap, f"extra:{name}", cell, out[name])
    shares = out["expectations"]
    if shares is not None and len(shares):
        rows = [disclosure.published_row(snap, row["measure"], cell, row) for row in shares.to_dict(orient="records")]
        out["expectations"] = pd.DataFrame(rows, columns=[*shares.columns, "small", "suppressed"])
    return out


def _first(table: pd.DataFrame | None) -> dict | None:
    return table.iloc[0].to_dict() if table is not None and len(table) else None
