"""A wave's dashboard figures: overall and factor indices, rankings per block, SIPAS extras.

Everything is language-neutral data (DataFrames and dicts), cached per wave data version and
filter; app.services.dashcharts turns it into translated figures and tables.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, Block, Wave
from app.programme.questionnaires import questionnaire_of
from app.results import estimates, heavy
from app.results.table import data_version, wave_frame

# Ranking needs a usable estimate: rows with a smaller Kish effective n are flagged, unranked.
RANK_MIN_N_EFF = 30.0
RANK_SIMULATIONS = 2000
_cache = heavy.LRU(512)  # least recently used forgotten first: no request can empty it


class DashboardError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    block: str = ""
    channel: str = ""
    service_field: str = ""

    @property
    def dims(self) -> list[str]:
        """Estimation domains the filter needs (block only narrows the rankings shown)."""
        return [f for f in ("channel", "service_field") if getattr(self, f)]

    def as_args(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def cached(key: tuple, build):
    """Memoise ``build()`` under ``key`` (which includes the wave's data version)."""
    return heavy.computed(_cache, key, build)


def version_key(wave: Wave) -> tuple:
    return (wave.id, data_version(wave), wave.estimation.key())


def service_fields(wave: Wave) -> list[int]:
    questionnaire = questionnaire_of(wave.survey_version)
    codes = {q.code for q in questionnaire.questions}
    if "service_field" not in codes:
        return []
    return [c.value for c in questionnaire.question("service_field").options or []]


def parse_filters(wave: Wave, args) -> Filters:
    """Filters from query arguments; unknown values → DashboardError (a 400)."""
    block = (args.get("block") or "").strip()
    channel = (args.get("channel") or "").strip()
    field = (args.get("service_field") or "").strip()
    if block and block not in {a.block.code for a in wave.agencies}:
        raise DashboardError("block", _("unknown block '%(block)s'", block=block))
    if channel and channel not in (wave.channels or []):
        raise DashboardError("channel", _("unknown channel '%(channel)s'", channel=channel))
    if field and (not field.isdigit() or int(field) not in service_fields(wave)):
        raise DashboardError("service_field", _("unknown service field '%(field)s'", field=field))
    return Filters(block=block, channel=channel, service_field=field)


def _select(table: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    rows = table
    if filters.channel:
        rows = rows[rows["channel"].astype(str) == filters.channel]
    if filters.service_field:
        rows = rows[pd.to_numeric(rows["service_field"], errors="coerce") == float(filters.service_field)]
    return rows.reset_index(drop=True)


def rates(wave: Wave, filters: Filters, by: list[str]) -> pd.DataFrame:
    """Estimates for the filtered subpopulation (as domains, never by subsetting the data)."""
    from app.results import disclosure

    dims = [*filters.dims, *by]
    return _select(disclosure.protected(wave, dims), filters)


def agency_table() -> pd.DataFrame:
    rows = db.session.execute(select(Agency.code, Agency.name_vi, Agency.name_en, Block.code)
                              .join(Block, Block.id == Agency.block_id)).all()
    return pd.DataFrame(rows, columns=["agency", "name_vi", "name_en", "block"])


def measure_ranked(wave: Wave) -> str:
    questionnaire = questionnaire_of(wave.survey_version)
    return "overall" if questionnaire.overall else next(iter(questionnaire.factor_items()), "overall")


def rankings(wave: Wave, filters: Filters) -> list[dict]:
    """Per block: the ranking table with CI, n, rank interval, tier; small groups flagged."""
    from analysis.ranking import rank_table
    from app.results import disclosure

    measure = measure_ranked(wave)
    table = rates(wave, filters, ["agency"])
    table = table[table["measure"] == measure]
    info = agency_table()
    table = table.merge(info, on="agency", how="left")
    out = []
    for block in wave_blocks(wave):
        if filters.block and block.code != filters.block:
            continue
        part = table[table["block"] == block.code]
        if part.empty:
            continue
        # suppressed agencies have their rates blanked already: rank_table leaves them unranked
        if ((part["n_eff"] >= RANK_MIN_N_EFF) & part["rate"].notna()).any():
            ranked = rank_table(part, measure=measure, by="agency", n_sim=RANK_SIMULATIONS,
                                min_n_eff=RANK_MIN_N_EFF).drop(columns=["rate", "se", "n_eff", "measure"])
        else:  # nobody rankable (rank_table needs at least one row to rank)
            ranked = part[["agency"]].assign(p_top=np.nan, flagged=True)
            for col in ("rank", "rank_lower", "rank_upper", "tier"):
                ranked[col] = pd.array([pd.NA] * len(ranked), dtype="Int64")
        ranked = ranked.merge(part, on="agency")
        ranked["small"] = ranked["n"].map(disclosure.too_small).astype(bool)  # suppressed and not small: hidden as a complement
        out.append({"block": {"code": block.code, "name_vi": block.name_vi, "name_en": block.name_en},
                    "measure": measure, "table": ranked})
    return out


def wave_blocks(wave: Wave) -> list:
    blocks = {a.block.id: a.block for a in wave.agencies}
    return sorted(blocks.values(), key=lambda b: (b.position, b.code))


def overview(wave: Wave, filters: Filters) -> dict:
    """Everything the wave dashboard shows, cached per data version and filter."""
    from app.results import sipas_figures

    def build() -> dict:
        whole = rates(wave, filters, ["block"] if filters.block else [])
        if filters.block:
            whole = whole[whole["block"] == filters.block].reset_index(drop=True)
        questionnaire = questionnaire_of(wave.survey_version)
        factor_codes = list(questionnaire.factor_items())
        overall = _row(whole, "overall")
        return {
            "overall": None if overall is None or overall.get("suppressed") else overall,
            "overall_suppressed": bool(overall is not None and overall.get("suppressed")),
            "factors": whole[whole["measure"].isin(factor_codes)].reset_index(drop=True),
            "criteria": whole[whole["measure"].isin(questionnaire.rated_items)].reset_index(drop=True),
            "rankings": rankings(wave, filters),
            "extras": sipas_figures.figures(wave, filters),
            "n": int(whole["n"].max()) if len(whole) else 0,
        }

    return cached(("overview", *version_key(wave), filters), build)


def warm(wave: Wave) -> None:
    """Compute what every view of the wave needs (run by wavedata's background refresh): the
    wave's table, the province's and agencies' estimates, the unfiltered dashboard."""
    overview(wave, Filters())


def warm_recent(app, waves: int = 2) -> None:
    """Compute the newest waves' figures (run in a thread when a gunicorn worker starts, see
    gunicorn.conf.py), so that the first official after a restart does not wait for them."""
    from app.models.wave import WAVE_DRAFT

    with app.app_context():
        try:
            recent = db.session.scalars(select(Wave).where(Wave.status != WAVE_DRAFT)
                                        .order_by(Wave.period_start.desc(), Wave.id.desc()).limit(waves))
            from app.reports import pages

            for wave in recent:
                pages.warm(wave)
        except Exception:  # the pages compute what is missing when they are asked for it
            app.logger.exception("warming the dashboard failed")
        finally:
            db.session.remove()


def _row(table: pd.DataFrame, measure: str) -> dict | None:
    rows = table[table["measure"] == measure]
    return rows.iloc[0].to_dict() if len(rows) else None


# Questions the dashboard's SIPAS figures read besides the rated items and the expectations.
FIGURE_CODES = ("late", "on_time", "apology", "complaint", "satisfaction", "service_field")


def frame_codes(wave: Wave) -> list[str]:
    """The questions the dashboard reads: rated items, expectations, SIPAS figures, margins."""
    from app.results.sipas_figures import expectation_codes

    questionnaire = questionnaire_of(wave.survey_version)
    known = {q.code for q in questionnaire.questions}
    margins = estimates.wave_margins(wave)
    extra = [] if margins is None else [v for v in margins["variable"].unique() if v in known]
    wanted = [*questionnaire.rated_items, *expectation_codes(questionnaire), *FIGURE_CODES, *extra]
    return [c for c in dict.fromkeys(wanted) if c in known]


def frame(wave: Wave) -> pd.DataFrame:
    """The wave's respondent table with the questions the dashboard reads, cached per data version."""
    def build() -> pd.DataFrame:
        data = wave_frame(wave, frame_codes(wave))
        if wave.estimation.fpc and len(data):
            data["population"] = estimates.stratum_populations(wave, data)
        return data

    return cached(("frame", *version_key(wave)), build)


def design(wave: Wave) -> dict:
    """The design the wave's estimates use (estimates.compute): weights, strata, fpc, raking."""
    settings = wave.estimation
    return {"weight": "weight", "strata": "stratum_key", "ci": settings.ci,
            "level": settings.level,
            "fpc": "population" if settings.fpc else None,
            "margins": estimates.wave_margins(wave) if settings.rake else None}
