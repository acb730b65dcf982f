"""Plotly figure builders.  Labels arrive already translated; the web app calls
``fig.to_json()``.  Every estimate is drawn with its interval.

References
----------
.. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional
   performance. *Statistics in Medicine* 24, 1185-1202.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.ranking import funnel_limits


def _error_x(frame: pd.DataFrame) -> dict:
    return dict(
        type="data", symmetric=False,
        array=(frame["ci_upper"] - frame["rate"]).to_numpy() * 100,
        arrayminus=(frame["rate"] - frame["ci_lower"]).to_numpy() * 100,
    )


def ranking_dots(
    ranked: pd.DataFrame, *, label: str, labels: Mapping[str, str], title: str = ""
) -> go.Figure:
    """Dot plot of rates (%) with CIs, one colour per tier, flagged rows hollow.

    ``ranked`` is a :func:`rank_table` result joined with ci_lower/ci_upper;
    ``label`` the column naming the rows; ``labels`` the axis texts
    (keys ``rate``, ``tier``, ``unranked``).
    """
    fig = go.Figure()
    data = ranked.iloc[::-1]
    for tier, part in data.groupby(data["tier"].fillna(0).astype(int), sort=True):
        name = labels.get("unranked", "—") if tier == 0 else f"{labels.get('tier', 'Tier')} {tier}"
        fig.add_trace(go.Scatter(
            x=part["rate"] * 100, y=part[label].astype(str), mode="markers", name=name,
            error_x=_error_x(part),
            marker=dict(symbol="circle-open" if tier == 0 else "circle", size=9),
        ))
    fig.update_layout(title=title, xaxis_title=labels.get("rate", ""), yaxis=dict(type="category"))
    return fig


def factor_bars(rates: pd.DataFrame, *, names: Mapping[str, str], labels: Mapping[str, str],
                title: str = "") -> go.Figure:
    """Horizontal bars of factor rates (%) with CIs; ``names`` maps measure → text."""
    rows = rates[rates["measure"].isin(list(names))]
    fig = go.Figure(go.Bar(
        x=rows["rate"] * 100, y=[names[m] for m in rows["measure"]], orientation="h",
        error_x=_error_x(rows),
    ))
    fig.update_layout(title=title, xaxis_title=labels.get("rate", ""), xaxis_range=[0, 100])
    return fig


BASIS_SYMBOLS = {"direct": "circle", "reaggregated": "diamond", "modelled": "circle-open"}


def trend_lines(rates: pd.DataFrame, *, period: str, series: str, labels: Mapping[str, str],
                title: str = "", basis: str | None = None, basis_names: Mapping[str, str] | None = None,
                breaks: Sequence[str] = (), break_label: str = "") -> go.Figure:
    """One line per ``series`` over ``period`` with a shaded CI band.

    With ``basis`` (a column of direct / reaggregated / modelled), each point's marker says how it
    was obtained (filled circle, diamond, open circle; named in the hover text by ``basis_names``);
    ``breaks`` (dates, on a date ``period``) are drawn as dashed vertical lines labelled
    ``break_label``: a reorganisation of the units."""
    fig = go.Figure()
    names = basis_names or {}
    for name, part in rates.sort_values(period).groupby(series, sort=False):
        x = part[period].astype(str).tolist()
        fig.add_trace(go.Scatter(
            x=x + x[::-1],
            y=np.concatenate([part["ci_upper"], part["ci_lower"][::-1]]) * 100,
            fill="toself", line=dict(width=0), opacity=0.2, showlegend=False, hoverinfo="skip",
        ))
        marker, text = {}, None
        if basis is not None and basis in part:
            kinds = part[basis].fillna("direct").astype(str)
            marker = dict(symbol=[BASIS_SYMBOLS.get(k, "circle") for k in kinds], size=9)
            text = [names.get(k, k) for k in kinds]
        fig.add_trace(go.Scatter(x=x, y=part["rate"] * 100, mode="lines+markers", name=str(name),
                                 marker=marker or None, text=text,
                                 hovertemplate="%{x}: %{y:.1f}<br>%{text}<extra></extra>" if text else None))
    for day in breaks:
        fig.add_shape(type="line", x0=day, x1=day, y0=0, y1=1, yref="paper", line=dict(dash="dash", width=1.5))
        fig.add_annotation(x=day, y=1, yref="paper", text=break_label, showarrow=False, yanchor="bottom")
    fig.update_layout(title=title, xaxis_title=labels.get("period", ""),
                      yaxis_title=labels.get("rate", ""))
    return fig


def funnel_plot(rates: pd.DataFrame, *, label: str, target: float, labels: Mapping[str, str],
                levels: tuple[float, ...] = (0.95, 0.998), title: str = "") -> go.Figure:
    """Rates against effective n with funnel limits around ``target`` [1]_."""
    fig = go.Figure()
    grid = np.linspace(max(rates["n_eff"].min() * 0.8, 2), rates["n_eff"].max() * 1.2, 200)
    for level in levels:
        lo, hi = funnel_limits(target, grid, level=level)
        for bound in (lo, hi):
            fig.add_trace(go.Scatter(x=grid, y=bound * 100, mode="lines", showlegend=False,
                                     line=dict(dash="dash" if level < 0.99 else "dot")))
    fig.add_trace(go.Scatter(x=rates["n_eff"], y=rates["rate"] * 100, mode="markers",
                             text=rates[label].astype(str), name=labels.get("points", "")))
    fig.add_hline(y=target * 100)
    fig.update_layout(title=title, xaxis_title=labels.get("n_eff", ""),
                      yaxis_title=labels.get("rate", ""))
    return fig


def expectation_bars(shares: pd.DataFrame, *, names: Mapping[str, str],
                     labels: Mapping[str, str], title: str = "") -> go.Figure:
    """Bars of expectation shares (%) per area, sorted, with CIs."""
    rows = shares[shares["measure"].isin(list(names))].sort_values("rate")
    fig = go.Figure(go.Bar(x=rows["rate"] * 100, y=[names[m] for m in rows["measure"]],
                           orientation="h", error_x=_error_x(rows)))
    fig.update_layout(title=title, xaxis_title=labels.get("rate", ""), xaxis_range=[0, 100])
    return fig
