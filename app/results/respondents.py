"""Which questions a respondent's SIPAS figures come from (expectation areas, late results).

(The sampling frame, the population the wave samples from, is app.programme.frame; the measures
the roll-ups keep are app.results.measures.)"""
from __future__ import annotations

import pandas as pd

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
