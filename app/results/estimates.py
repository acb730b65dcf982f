"""A wave's satisfaction estimates: the wave's weights and design, the questionnaire's rule."""
from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, FrameCount, Margin, User, Wave
from app.programme.questionnaires import questionnaire_of
from app.results import heavy
from app.results.table import META, data_version, wave_frame

DOMAINS = ("agency", "block", "channel", "language", "service_field")
_cache = heavy.LRU(256)  # least recently used forgotten first: no request can empty it


class EstimateError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def compute(wave: Wave, by: Sequence[str] = ()) -> pd.DataFrame:
    """Rates for every rated item, factor and overall, per domain; cached per data version."""
    asked = list(dict.fromkeys(by))  # "agency,agency" means "agency"
    unknown = [c for c in asked if c not in DOMAINS]
    if unknown:
        raise EstimateError("by", _("cannot group by %(items)s; choose from %(items2)s",
                                    items=', '.join(unknown), items2=', '.join(DOMAINS)))
    by = sorted(asked, key=DOMAINS.index)  # "channel,agency" is "agency,channel": one entry, not two
    version = (wave.id, data_version(wave), wave.estimation.key())
    key = (*version, tuple(by))

    def build() -> pd.DataFrame:
        if by in ([], ["agency"]):  # every page shows the province and its agencies: one pass gives both
            try:
                both = _compute(wave, ["agency"], True)
                _cache[(*version, ("agency",))], _cache[(*version, ())] = both
                return both[0] if by else both[1]
            except EstimateError:  # (an agency where nobody answered: the province alone still works)
                pass
        return _compute(wave, by)[0]

    table = heavy.computed(_cache, key, build)
    if asked != by:  # the columns and row order asked for (rows sorted by the by columns, as computed)
        rest = [c for c in table.columns if c not in asked]
        table = table[[*asked, *rest]].sort_values(asked, kind="stable").reset_index(drop=True)
    return table


def _compute(wave: Wave, by: list[str], with_total: bool = False) -> list[pd.DataFrame]:
    # heavy imports (scipy) only when estimating
    from analysis.rates import compute_rates, compute_rates_with_total

    questionnaire = questionnaire_of(wave.survey_version)
    items = questionnaire.rated_items
    settings = wave.estimation
    margins = wave_margins(wave) if settings.rake else None
    extra = [] if margins is None else [v for v in margins["variable"].unique() if v not in DOMAINS]
    frame = wave_frame(wave, [*items, *extra, *(c for c in by if c not in META)])
    if frame.empty:
        columns = ["measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]
        return [pd.DataFrame(columns=[*by, *columns]), pd.DataFrame(columns=columns)]
    if settings.fpc:
        frame["population"] = stratum_populations(wave, frame)
    satisfied = sorted({v for code in items for v in questionnaire.satisfied_values(code)}) or [4, 5]
    options = dict(factors=questionnaire.factor_items() or None, rule=questionnaire.rule or "pooled",
                   weight="weight", strata="stratum_key", fpc="population" if settings.fpc else None,
                   margins=margins, satisfied=satisfied, ci=settings.ci,
                   level=settings.level)
    try:
        if with_total:
            return list(compute_rates_with_total(frame, items, by=by, **options))
        return [compute_rates(frame, items, by=by or None, **options)]
    except ValueError as exc:  # margins that do not fit the data, fpc below the sample, ...
        raise EstimateError("settings", _("the wave's weighting settings do not fit its data: %(exc)s",
                                          exc=exc)) from exc


def wave_margins(wave: Wave) -> pd.DataFrame | None:
    rows = db.session.execute(select(Margin.variable, Margin.category, Margin.total)
                              .where(Margin.wave_id == wave.id)).all()
    return pd.DataFrame(rows, columns=["variable", "category", "total"]) if rows else None


def stratum_populations(wave: Wave, frame: pd.DataFrame) -> pd.Series:
    """N_h per respondent for the finite population correction (agency-level frame counts)."""
    counts = dict(db.session.execute(select(Agency.code, FrameCount.transactions)
                                     .join(Agency, Agency.id == FrameCount.agency_id)
                                     .where(FrameCount.wave_id == wave.id, FrameCount.stratum == "")).all())
    return frame["agency"].map(counts).astype(float)


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def estimate_rows(wave: Wave, by: Sequence[str] = (), user: User | None = None) -> list[dict]:
    """Rows for the API: figures of groups below the anonymity threshold, and of the groups that
    would give them away (app.services.disclosure), suppressed."""
    from app.results import disclosure

    table = disclosure.protected(wave, list(by))  # small groups and their complements hidden
    if user is not None and user.role == "agency" and "agency" in by:
        table = table[table["agency"] == (user.agency.code if user.agency else None)]
    rows = []
    for record in table.to_dict(orient="records"):
        row = {k: _clean(v) for k, v in record.items()}
        row["suppressed"] = bool(row["suppressed"])
        rows.append(row)
    return rows
