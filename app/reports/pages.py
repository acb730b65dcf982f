"""Page contexts for the dashboard: data, translated charts and tables, cached per language."""
from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import Agency, User, Wave
from app.programme import reorganise
from app.programme.questionnaires import questionnaire_of
from app.quality import review_figures, small_units
from app.reports import agency_report, case_pages, charts
from app.results import disclosure, funnel, lineage_trend, overview, snapshot, trends
from app.results.filters import Filters, service_fields
from app.results.snapshot import Snapshot
from app.review import themes
from app.review.comment_tags import label_names


def waves_for(user: User | None) -> list[Wave]:
    query = select(Wave).order_by(Wave.period_start.desc(), Wave.id.desc())
    return list(db.session.scalars(query))


def public_waves() -> list[Wave]:
    return [w for w in waves_for(None) if w.results_public]


def wave_page(snap: Snapshot, filters: Filters, *, public: bool = False) -> dict:
    """Context for the wave dashboard (and, with ``public``, the published results page)."""
    wave = snap.wave

    def build() -> dict:
        data = overview.overview(snap, filters)
        context = {"filters": filters, "data": data, "charts": {},
                   "per_case": questionnaire_of(wave.survey_version).definition.kind == "per_case",
                   "blocks": [(b.code, _name(vars(b))) for b in overview.wave_blocks(wave)],
                   "service_fields": _service_fields(wave),
                   "min_group": disclosure.minimum(), "names": charts.names(wave)}
        if _any_rate(data["factors"]):  # nothing drawn when every figure is suppressed
            context["charts"]["factors"] = charts.factor_chart(wave, data["factors"])
        context["rankings"] = [
            {"block": r["block"]["code"],
             "chart": charts.ranking_chart(_name(r["block"]), r["table"], i)}
            for i, r in enumerate(data["rankings"])
        ]
        shares = data["extras"]["expectations"]
        if shares is not None and _any_rate(shares):
            context["charts"]["expectations"] = charts.expectation_chart(wave, shares)
        return context

    page = {"wave": wave, **snap.cached("page", build, filters, current_language(), public)}
    # small units' empirical-Bayes figures: on the published results page too (issue 20)
    page["small_areas"] = small_units.section(snap, filters)
    page["unit_names"] = unit_names()
    if not public:  # feedback handling (PAKN): cases change without the responses, so never cached
        page["cases"] = case_pages.wave_section(wave)
        page["review"] = review_figures.section(wave)
        page["fragile"] = funnel.fragile(wave)  # invitations change without the responses: never cached
    return page


def unit_names() -> dict[str, str]:
    """Agency code → its name in the current language."""
    lang = current_language()
    return {code: (en if lang == "en" else vi) for code, vi, en in
            db.session.execute(select(Agency.code, Agency.name_vi, Agency.name_en)).all()}


def warm(snap: Snapshot) -> None:
    """Compute the wave's figures and its unfiltered page in each language (the background
    refresh and a starting worker run this, app.reports.refresh), so that the first official to
    see a new version does not build its charts while others queue behind them."""
    overview.overview(snap, Filters())
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            wave_page(snap, Filters())


def _any_rate(table) -> bool:
    return bool(len(table)) and bool(table["rate"].notna().any())


def _name(item: dict) -> str:
    return item["name_en"] if current_language() == "en" else item["name_vi"]


def _service_fields(wave: Wave) -> list[tuple[int, str]]:
    questionnaire = questionnaire_of(wave.survey_version)
    if not service_fields(wave):
        return []
    lang = current_language()
    return [(c.value, getattr(c.label, lang)) for c in questionnaire.question("service_field").options or []]


def agency_page(snap: Snapshot, agency: Agency) -> dict:
    wave = snap.wave

    def build() -> dict:
        report = agency_report.report(snap, agency)
        context = {"report": report, "charts": {}, "basis_names": charts.basis_names(),
                   "min_group": disclosure.minimum(), "names": charts.names(wave)}
        if not report["suppressed"] and len(report["factors"]):
            context["charts"]["factors"] = charts.factor_chart(wave, report["factors"], "agency-factors")
        if not report["suppressed"] and len(report["criteria"]):
            context["charts"]["criteria"] = charts.criteria_chart(wave, report["criteria"], "agency-criteria")
        if len(report["trend"]) > 1:
            context["charts"]["trend"] = charts.trend_chart(report["trend"], "agency-trend",
                                                            agency_report.trend_title(), breaks=report["breaks"])
        return context

    page = {"wave": wave, "agency": agency, **snap.cached("agency", build, agency.id, current_language(),
                                                          reorganise.version())}
    page["cases"] = case_pages.agency_section(wave, agency)  # feedback handling (PAKN): never cached
    page["fragile"] = funnel.fragile(wave).get(agency.code)  # the funnel: never cached
    page["themes"], page["theme_names"] = themes.agency_section(wave, agency), label_names()  # comment tags: never cached
    return page


def trends_page() -> dict:
    """The province's and every current unit's index across all waves on today's organisation
    (app.results.lineage_trend), changes marked if significant."""
    waves = trends.ordered_waves()
    snapshots = [snapshot.current(w) for w in waves]
    lang = current_language()
    today = date.today()
    units = sorted({a.code: a for w in waves for a in w.agencies if a.valid_to is None or a.valid_to >= today}.values(),
                   key=lambda a: a.code)

    def build() -> dict:
        labels = {w.slug: w.name(lang) for w in waves}
        tables = lineage_trend.province_and_agencies([(a, a.name(lang)) for a in units], _("Province"), labels)
        chart = None
        if len(tables["province"]):
            chart = charts.trend_chart(tables["province"], "province-trend",
                                       _("Provincial index across waves with confidence intervals"),
                                       breaks=tables["breaks"] or None)
        return {"tables": tables, "chart": chart, "wave_labels": [w.name(lang) for w in waves],
                "basis_names": charts.basis_names()}

    return snapshot.cached_over(snapshots, "trends", build, lang, reorganise.version())
