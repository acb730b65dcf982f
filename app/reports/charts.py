"""Translated Plotly figures (as JSON safe to embed) and the data tables shown beside them."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import pandas as pd
from flask_babel import gettext as _
from markupsafe import Markup

from app.i18n import current_language, percent
from app.models import Wave
from app.programme.questionnaires import questionnaire_of


@dataclass
class Chart:
    """One figure: its id, title, embedded JSON, and the rows of its accessible table."""

    id: str
    title: str
    figure: Markup
    rows: list[dict] = field(default_factory=list)


@functools.cache
def _white_template() -> dict:
    import plotly.io as pio  # slow to import, only chart pages need it

    return pio.templates["plotly_white"].to_plotly_json()


def embed(fig) -> Markup:
    """Figure JSON safe inside <script type="application/json"> (no '<', '>' or '&')."""
    from plotly.utils import PlotlyJSONEncoder  # slow to import, only chart pages need it

    fig.update_layout(margin=dict(l=10, r=10, t=50, b=40), font=dict(family="system-ui, sans-serif", size=13))
    figure = fig.to_plotly_json()
    # The template as plain JSON built once: setting it on the figure would validate and deep-copy
    # it for every chart (30 ms each).
    figure["layout"]["template"] = _white_template()
    text = json.dumps(figure, cls=PlotlyJSONEncoder)
    # Safe: with <, > and & escaped as JSON \u escapes the text cannot close the script element.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704  # nosec B704 - JSON with <, > and & escaped


def names(wave: Wave) -> dict[str, str]:
    """Measure code → its text in the current language (factors, criteria, expectation areas)."""
    lang = current_language()
    questionnaire = questionnaire_of(wave.survey_version)
    out = {}
    indices = questionnaire.definition.indices
    for factor in indices.factors if indices else []:
        out[factor.code] = getattr(factor.name, lang)
    for question in questionnaire.questions:
        out.setdefault(question.code, getattr(question.text, lang))
    # the overall index's name, unless a question is coded "overall" (then that is what the row is)
    out.setdefault("overall", _("Overall index"))
    return out


def _level(wave: Wave) -> str:

    return percent(wave.estimation.level, 0)


def labels() -> dict[str, str]:
    return {"rate": _("Satisfied (%)"), "tier": _("Tier"), "unranked": _("Not ranked (small sample)"),
            "period": _("Wave"), "n_eff": _("Effective sample size"), "points": _("Agencies")}


def _records(table: pd.DataFrame, label_of) -> list[dict]:
    rows = []
    for record in table.to_dict(orient="records"):
        record["label"] = label_of(record)
        rows.append(record)
    return rows


def factor_chart(wave: Wave, factors: pd.DataFrame, chart_id: str = "factors") -> Chart:
    from analysis import charts  # plotly: slow to import, only chart pages need it

    text = names(wave)
    title = _("Factor indices with %(level)s confidence intervals", level=_level(wave))
    fig = charts.factor_bars(factors, names={m: text.get(m, m) for m in factors["measure"]},
                             labels=labels(), title=title)
    fig.update_yaxes(autorange="reversed")
    return Chart(chart_id, title, embed(fig), _records(factors, lambda r: text.get(r["measure"], r["measure"])))


def criteria_chart(wave: Wave, criteria: pd.DataFrame, chart_id: str = "criteria") -> Chart:
    from analysis import charts  # plotly: slow to import, only chart pages need it

    text = names(wave)
    title = _("Criteria with %(level)s confidence intervals", level=_level(wave))
    short = {m: f"{m} · {text.get(m, m)[:48]}" for m in criteria["measure"]}
    fig = charts.factor_bars(criteria, names=short, labels=labels(), title=title)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(320, 26 * len(criteria) + 100))
    return Chart(chart_id, title, embed(fig), _records(criteria, lambda r: text.get(r["measure"], r["measure"])))


def ranking_chart(block_name: str, ranked: pd.DataFrame, index: int) -> Chart:
    from analysis import charts  # plotly: slow to import, only chart pages need it

    lang = current_language()
    title = _("Ranking: %(block)s", block=block_name)
    data = ranked.copy()
    data["label"] = data["name_en" if lang == "en" else "name_vi"].fillna(data["agency"])
    shown = data[~data["suppressed"]]
    fig = charts.ranking_dots(shown, label="label", labels=labels(), title=title)
    fig.update_yaxes(categoryorder="array", categoryarray=list(shown["label"])[::-1])  # best on top
    fig.update_layout(height=max(320, 24 * len(shown) + 110))
    return Chart(f"ranking-{index}", title, embed(fig), data.to_dict(orient="records"))


def expectation_chart(wave: Wave, shares: pd.DataFrame) -> Chart:
    from analysis import charts  # plotly: slow to import, only chart pages need it

    text = names(wave)
    title = _("Expectations: share answering \u201cvery much\u201d")
    # shares of respondents choosing each expectation, not satisfaction rates
    fig = charts.expectation_bars(shares, names={m: text.get(m, m)[:60] for m in shares["measure"]},
                                  labels={**labels(), "rate": _("Share choosing it (%)")}, title=title)
    rows = _records(shares.sort_values("rate", ascending=False), lambda r: text.get(r["measure"], r["measure"]))
    return Chart("expectations", title, embed(fig), rows)


def trend_chart(table: pd.DataFrame, chart_id: str, title: str, breaks: list[str] | None = None) -> Chart:
    """``table``: wave label, series, rate, ci_lower, ci_upper (one row per wave × series). With
    ``breaks`` (a unit's reorganisation dates) the x axis is the waves' last days, each point
    marked with its basis (direct, re-aggregated, modelled) and each break drawn."""
    from analysis import charts  # plotly: slow to import, only chart pages need it

    if breaks is None:
        fig = charts.trend_lines(table, period="wave_label", series="series", labels=labels(), title=title)
    else:
        fig = charts.trend_lines(table, period="period_end", series="series", labels=labels(), title=title,
                                 basis="basis", basis_names=basis_names(), breaks=breaks,
                                 break_label=_("reorganisation"))
        ends = sorted(set(table["period_end"].dropna()))
        fig.update_xaxes(type="date", title=_("End of the wave's period"), tickvals=ends, tickformat="%d/%m/%Y")
    return Chart(chart_id, title, embed(fig), table.to_dict(orient="records"))


def basis_names() -> dict[str, str]:
    return {"direct": _("surveyed as this unit"),
            "reaggregated": _("re-aggregated from the units it was formed from (exact)"),
            "modelled": _("modelled from the shares of units that were split")}
