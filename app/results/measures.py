"""What a wave's roll-ups hold: every measure the figures read, as per-respondent answer states
(0 blank, 1 answered not satisfied, 2 satisfied; analysis.moments), the pooled groups (factors,
overall, Decision 766), the items with cross moments (the mean rule) and the raking variables.

One function turns a table of respondents into those states, so that the roll-ups (added response
by response) and the microdata path (the export, `python -m analysis rates`) count alike.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from app.models import Wave
from app.programme.questionnaires import questionnaire_of
from app.results import design
from app.results.respondents import FIGURE_CODES, expectation_codes, late_column
from survey_definitions import Questionnaire

EXPECTATION = "exp:"  # an expectation area's measure: its top level chosen
LATE, APOLOGY, D766 = "extra:late", "extra:apology", "extra:decision766"
D766_PARTS = ("d766:ontime", "d766:nocomplaint")
DIMENSIONS = ("channel", "language", "service_field")  # the dashboard's filters and domains in a cell's key
TOP_EXPECTATION = (3,)  # "Rất nhiều"
ITEM_OVERALL = "item:overall"  # a rated question coded "overall": apart from the overall index
NEGATIVE_RATING = (1,)  # a per-case rating that counts as a complaint (Decision 766)


@dataclass(frozen=True)
class Layout:
    items: list[str]  # rated items, in questionnaire order
    satisfied: list[float]
    expectations: list[str]
    figures: list[str]  # LATE, APOLOGY, D766 parts present
    pooled: dict[str, list[str]]  # factors, overall, D766
    cross: list[str]  # rated items with cross moments (rule mean)
    raking: list[str]  # raking variables that are questions (agency, channel, ... are keys anyway)
    rule: str = "pooled"
    codes: list[str] = field(default_factory=list)  # the questions read to work out the states
    # the wave adjusts for nonresponse: each cell's key also holds its respondents' invitation
    # channel (app.results.rollup.INVITED_BY), the funnel cell of the adjustment
    invited_by: bool = False

    @property
    def states(self) -> list[str]:
        return [*self.measures, *(EXPECTATION + c for c in self.expectations), *self.figures]

    @property
    def measures(self) -> list[str]:
        """The rated items as the cells name them."""
        return [item_measure(c) for c in self.items]

    def as_json(self) -> dict:
        data = asdict(self)
        if not self.invited_by:  # (the layouts stored before the setting existed stay equal)
            data.pop("invited_by")
        return data


def item_measure(code: str) -> str:
    return ITEM_OVERALL if code == "overall" else code


def layout(wave: Wave) -> Layout:
    questionnaire = questionnaire_of(wave.survey_version)
    items = list(questionnaire.rated_items)
    factors = questionnaire.factor_items()
    pooled = {name: [item_measure(c) for c in members] for name, members in factors.items()}
    if factors:
        pooled["overall"] = [item_measure(c) for c in sorted({c for m in factors.values() for c in m},
                                                              key=items.index)]
    known = {q.code for q in questionnaire.questions}
    figures = []
    has_late = "late" in known or "on_time" in known
    if has_late:
        figures.append(LATE)
        if "apology" in known:
            figures.append(APOLOGY)
        if questionnaire.definition.kind == "per_case":
            figures.extend(D766_PARTS)
            pooled["decision766"] = list(D766_PARTS)
    margins = design.wave_margins(wave)
    raking = [] if margins is None else sorted(v for v in margins["variable"].unique()
                                               if v in known and v not in DIMENSIONS)
    rule = questionnaire.rule or "pooled"
    satisfied = sorted({float(v) for c in items for v in questionnaire.satisfied_values(c)}) or [4.0, 5.0]
    codes = [c for c in dict.fromkeys([*items, *expectation_codes(questionnaire), *FIGURE_CODES, *raking])
             if c in known]
    return Layout(items, satisfied, expectation_codes(questionnaire), figures, pooled,
                  [item_measure(c) for c in items] if rule == "mean" and factors else [], raking, rule, codes,
                  wave.estimation.nonresponse)


def _state(values: pd.Series | np.ndarray, hit) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    out = (~np.isnan(x)).astype(np.int8)
    out += hit(x) & ~np.isnan(x)
    return out


def states(questionnaire: Questionnaire, plan: Layout, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each measure's state per respondent of ``data`` (columns: the layout's codes)."""
    from analysis.moments import item_states  # scipy: slow to import, only figures need it

    found = item_states(data, plan.items, plan.satisfied) if plan.items else {}
    out = {item_measure(code): state for code, state in found.items()}
    for code in plan.expectations:
        out[EXPECTATION + code] = _state(data[code], lambda x: np.isin(x, TOP_EXPECTATION))
    if plan.figures:
        late = late_column(questionnaire, data).to_numpy(dtype=float)
        is_late = late == 1
        out[LATE] = _state(late, lambda x: x == 1)
        if APOLOGY in plan.figures:
            apology = np.where(is_late, pd.to_numeric(data["apology"], errors="coerce"), np.nan)
            out[APOLOGY] = _state(apology, lambda x: x == 1)
        if D766_PARTS[0] in plan.figures:
            bad = np.zeros(len(data), bool)
            if "complaint" in data.columns:
                bad |= pd.to_numeric(data["complaint"], errors="coerce").to_numpy() == 1
            if "satisfaction" in data.columns:
                bad |= np.isin(pd.to_numeric(data["satisfaction"], errors="coerce").to_numpy(), NEGATIVE_RATING)
            out[D766_PARTS[0]] = np.where(is_late, 1, 2).astype(np.int8)
            out[D766_PARTS[1]] = np.where(bad, 1, 2).astype(np.int8)
    return out
