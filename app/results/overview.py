"""A wave's dashboard figures: overall and factor indices, rankings per block, SIPAS extras.

Everything is language-neutral data (DataFrames and dicts), cached per snapshot and filter;
app.reports.charts and app.reports.pages turn it into translated figures and tables.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.extensions import db
from app.models import Agency, Block, Wave
from app.models.agency import LEVELS
from app.programme.questionnaires import questionnaire_of
from app.results import disclosure, estimates, sipas_figures
from app.results.filters import Filters, select_rows
from app.results.snapshot import Snapshot

# Ranking needs a usable estimate: rows with a smaller Kish effective n are flagged, unranked.
RANK_MIN_N_EFF = 30.0
RANK_SIMULATIONS = 2000


def rates(snap: Snapshot, filters: Filters, by: list[str]) -> pd.DataFrame:
    """Estimates for the filtered subpopulation (as domains, never by subsetting the data), as
    they may be published."""
    dims = [*filters.dims, *by]
    return select_rows(estimates.protected(snap, dims), filters)


def agency_table() -> pd.DataFrame:
    rows = db.session.execute(select(Agency.code, Agency.name_vi, Agency.name_en, Block.code, Agency.level)
                              .join(Block, Block.id == Agency.block_id)).all()
    return pd.DataFrame(rows, columns=["agency", "name_vi", "name_en", "block", "level"])


def measure_ranked(wave: Wave) -> str:
    questionnaire = questionnaire_of(wave.survey_version)
    return "overall" if questionnaire.overall else next(iter(questionnaire.factor_items()), "overall")


def rankings(snap: Snapshot, filters: Filters) -> list[dict]:
    """Per ranking group (a block, split by level where it mixes levels: departments are ranked
    with departments, communes with communes): the ranking table with CI, n, rank interval, tier;
    small groups flagged."""
    from analysis.ranking import rank_table  # scipy: slow to import, only figures need it

    measure = measure_ranked(snap.wave)
    if filters.attribute == "processing":  # each dossier's rating counted for the unit that processed it
        table = rates(snap, filters, ["processing_unit"]).rename(columns={"processing_unit": "agency"})
    else:
        table = rates(snap, filters, ["agency"])
    table = table[table["measure"] == measure]
    info = agency_table()
    table = table.merge(info, on="agency", how="left")
    units = None
    if filters.attribute == "processing":  # processing units need not be in the wave's scope
        units = list(db.session.scalars(select(Agency).where(Agency.code.in_(table["agency"].dropna().unique().tolist()))))
    out = []
    for block, level, mixed in ranking_groups(snap.wave, units):
        if filters.block and block.code != filters.block:
            continue
        part = table[(table["block"] == block.code) & (table["level"] == level)]
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
        # (the part's suppressed and small flags come along: suppressed and not small is a complement)
        ranked = ranked.merge(part, on="agency")
        names = {"name_vi": block.name_vi, "name_en": block.name_en}
        if mixed:
            names = {f"name_{lang}": f"{names[f'name_{lang}']} — {LEVEL_NAMES[level][lang]}" for lang in ("vi", "en")}
        out.append({"block": {"code": block.code, **names}, "level": level, "measure": measure,
                    "table": ranked.drop(columns=["level"], errors="ignore")})
    return out


LEVEL_NAMES = {
    "province": {"vi": "cấp tỉnh", "en": "provinces"},
    "department": {"vi": "sở, ban, ngành", "en": "departments and sectors"},
    "district": {"vi": "cấp huyện (trước 1/7/2025)", "en": "districts (before 1 July 2025)"},
    "commune": {"vi": "cấp xã", "en": "communes"},
}


def ranking_groups(wave: Wave, units: list[Agency] | None = None) -> list[tuple]:
    """(block, level, whether the block mixes levels) for the wave's agencies (or ``units``), in
    the blocks' order (a block that mixes levels gives one group per level)."""
    levels: dict[int, set[str]] = {}
    blocks = {}
    for a in wave.agencies if units is None else units:
        blocks[a.block.id] = a.block
        levels.setdefault(a.block.id, set()).add(a.level)
    groups = [(b, level, len(levels[b.id]) > 1) for b in blocks.values() for level in levels[b.id]]
    order = {level: i for i, level in enumerate(LEVELS)}
    return sorted(groups, key=lambda g: (g[0].position, g[0].code, order.get(g[1], len(order))))


def wave_blocks(wave: Wave) -> list:
    blocks = {a.block.id: a.block for a in wave.agencies}
    return sorted(blocks.values(), key=lambda b: (b.position, b.code))


def overview(snap: Snapshot, filters: Filters) -> dict:
    """Everything the wave dashboard shows, cached per snapshot and filter."""
    def build() -> dict:
        whole = rates(snap, filters, ["block"] if filters.block else [])
        if filters.block:
            whole = whole[whole["block"] == filters.block].reset_index(drop=True)
        questionnaire = questionnaire_of(snap.wave.survey_version)
        factor_codes = list(questionnaire.factor_items())
        overall = _row(whole, "overall")
        suppressed = bool(overall is not None and overall.get("suppressed"))
        n = int(whole["n"].max()) if len(whole) else 0
        return {
            "overall": None if overall is None or suppressed else overall,
            "overall_suppressed": suppressed,
            # the summary's figure as downloads print it: the overall row, or its note
            "summary": (overall if overall is not None and not suppressed else
                        {"measure": "overall", "suppressed": suppressed, "small": disclosure.too_small(n), "n": n}),
            "factors": whole[whole["measure"].isin(factor_codes)].reset_index(drop=True),
            "criteria": whole[whole["measure"].isin(questionnaire.rated_items)].reset_index(drop=True),
            "rankings": rankings(snap, filters),
            "extras": sipas_figures.figures(snap, filters),
            "n": n,
        }

    return snap.cached("overview", build, filters)


def _row(table: pd.DataFrame, measure: str) -> dict | None:
    rows = table[table["measure"] == measure]
    return rows.iloc[0].to_dict() if len(rows) else None
