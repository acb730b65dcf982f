"""One agency in one wave: criteria with intervals, compared with the province; trend; comments.

The agency is part of the province, so the two estimates are not independent. With strata =
agencies, the province rate is (to first order) the weight-share-weighted mean of stratum rates,
so Cov(R_agency, R_province) ≈ s · Var(R_agency) with s the agency's share of the province's
weights; that covariance goes to analysis.ranking.compare, Holm-adjusted across the criteria.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import Agency, Wave
from app.programme.questionnaires import questionnaire_of
from app.results import disclosure, estimates, lineage_trend, overview, rolled, trends
from app.results.filters import Filters
from app.results.snapshot import Snapshot
from app.review import comments as comments_service

COMMENT_LIMIT = 50
SHOWN = 3  # strongest and weakest criteria listed


def weight_share(snap: Snapshot, agency: Agency) -> float:
    weight, count, agencies = rolled.weights(snap)
    total = (weight * count).sum()
    return float((weight * count)[(agencies == agency.code).to_numpy()].sum() / total) if total else 0.0


def comparison(snap: Snapshot, agency: Agency, mine: pd.DataFrame, province: pd.DataFrame) -> pd.DataFrame:
    """Per measure: agency and province rates, difference, its CI, Holm p, significant flag."""
    from analysis.ranking import compare  # scipy: slow to import, only figures need it

    level = snap.wave.estimation.level
    both = mine.merge(province, on="measure", suffixes=("", "_province"))
    both = both[both["rate"].notna() & both["se"].notna()].reset_index(drop=True)
    if both.empty:
        return both
    share = weight_share(snap, agency)
    result = compare(both["rate"], both["se"], both["rate_province"], both["se_province"],
                     cov=share * both["se"] ** 2, level=level, adjust="holm")
    both["difference"] = result["difference"]
    both["diff_lower"], both["diff_upper"] = result["ci_lower"], result["ci_upper"]
    both["p_adjusted"] = result["p_adjusted"]
    both["significant"] = both["p_adjusted"] < 1 - level
    return both


def comments(wave: Wave, agency: Agency) -> list[str]:
    """Approved free-text answers of the agency's respondents, in the order of their text: never in
    order of arrival, which would tie the newest comment to the citizen who just left the desk."""
    questionnaire = questionnaire_of(wave.survey_version)
    codes = [q.code for q in questionnaire.questions if q.type == "text"]
    if not codes:
        return []
    rows_of = comments_service.comment_rows(wave, codes)
    query = (select(rows_of.c.text).where(rows_of.c.agency_id == agency.id, rows_of.c.status == "approved")
             .order_by(rows_of.c.text).limit(COMMENT_LIMIT))
    return [t for t in db.session.scalars(query) if t and t.strip()]


def trend_title() -> str:
    return _("Index across waves with confidence intervals")


def report(snap: Snapshot, agency: Agency) -> dict:
    wave = snap.wave
    questionnaire = questionnaire_of(wave.survey_version)
    by_agency = estimates.protected(snap, ["agency"])
    mine = by_agency[by_agency["agency"] == agency.code].drop(columns=["agency"]).reset_index(drop=True)
    province = estimates.protected(snap, [])
    n = int(mine["n"].max()) if len(mine) else 0
    overall = _row(mine, "overall")
    # too few respondents, or hidden so that the province's figures do not give a smaller group away
    small = n == 0 or disclosure.too_small(n)
    suppressed = small or bool(overall is not None and overall["suppressed"])
    factor_codes = list(questionnaire.factor_items())
    out = {"n": n, "suppressed": suppressed, "overall": None, "factors": mine.iloc[0:0],
           "criteria": mine.iloc[0:0], "comparison": pd.DataFrame(), "strongest": [], "weakest": [],
           "comments": [], "rank": None, "province_overall": _row(province, "overall"), "small": small}
    if not suppressed:
        out["overall"] = _row(mine, "overall")
        out["factors"] = mine[mine["measure"].isin(factor_codes)].reset_index(drop=True)
        out["criteria"] = mine[mine["measure"].isin(questionnaire.rated_items)].reset_index(drop=True)
        cmp = comparison(snap, agency, mine, province)
        out["comparison"] = cmp
        items = cmp[cmp["measure"].isin(questionnaire.rated_items)].sort_values("difference")
        # a criterion below the province is never a strength, nor one above it a weakness
        out["weakest"] = items[items["difference"] < 0].head(SHOWN).to_dict(orient="records")
        out["strongest"] = items[items["difference"] > 0].tail(SHOWN).iloc[::-1].to_dict(orient="records")
        out["rank"] = own_rank(snap, agency)
        out["comments"] = comments(wave, agency)
    out["trend"], out["breaks"] = trend(snap, agency)
    out["break_days"] = [date.fromisoformat(d) for d in out["breaks"]]
    return out


def trend(snap: Snapshot, agency: Agency) -> tuple[pd.DataFrame, list[str]]:
    """The agency's index across waves on today's organisation (before it existed: from the
    units it was formed from, each point with its basis), the province's over the same periods,
    and the dates of the agency's reorganisations."""
    lang = current_language()
    waves = trends.ordered_waves()
    label = {w.slug: w.name(lang) for w in waves}
    result = lineage_trend.trend(agency, overview.measure_ranked(snap.wave))
    mine = lineage_trend.table(result, agency.name(lang), label)
    # the province over the same periods (the old provinces of a period pooled, as on the trends page)
    measure = result["measure"]
    province = lineage_trend.table([p for p in lineage_trend.province(measure) if p["period_end"] in set(mine["period_end"])],
                                   _("Province"), label)
    parts = [t for t in (trends.mark_changes(mine), trends.mark_changes(province)) if len(t)]
    table = pd.concat(parts, ignore_index=True) if parts else trends.mark_changes(province)
    return table, result["breaks"]


def own_rank(snap: Snapshot, agency: Agency) -> dict | None:
    """The agency's row of its block's ranking (rank, interval, tier) and the block's size, or
    None when it is not ranked (small sample or suppressed): a rank is never shown alone."""
    for ranking in overview.overview(snap, Filters())["rankings"]:
        table = ranking["table"]
        rows = table[table["agency"] == agency.code]
        if rows.empty:
            continue
        row = rows.iloc[0]
        if bool(row["flagged"]) or bool(row["suppressed"]) or pd.isna(row["rank"]):
            return None
        ranked = int((~table["flagged"].astype(bool) & ~table["suppressed"].astype(bool)).sum())
        return {"rank": int(row["rank"]), "lower": int(row["rank_lower"]), "upper": int(row["rank_upper"]),
                "tier": int(row["tier"]), "of": ranked, "block": ranking["block"]}
    return None


def _row(table: pd.DataFrame, measure: str) -> dict | None:
    rows = table[table["measure"] == measure]
    return rows.iloc[0].to_dict() if len(rows) else None

