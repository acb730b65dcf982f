"""Criterion, factor and overall satisfaction rates for domains.

Implements the statistical definitions of DESIGN.md: weighted ratio
estimators per domain, factor and overall indices under the ``pooled`` or
``mean`` rule, Taylor-linearized variance (strata, PSUs, fpc, calibrated
weights), design effects, Kish's effective n and proportion intervals.

References
----------
.. [1] Lumley, T. (2010). *Complex Surveys*. Wiley. (``svyby``, ``svyratio``,
   ``svyciprop``, calibration)
.. [2] Kish, L. (1965). *Survey Sampling*. Wiley.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import cells as cl
from analysis.intervals import proportion_ci
from analysis.prepare import Prepared, prepare

COLUMNS = ["measure", "n", "rate", "se", "ci_lower", "ci_upper", "deff", "n_eff"]


def _pooled(prep: Prepared, members: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
    small = np.int8 if len(members) < 127 else np.int64  # counts of answers: 8 times less memory
    s = np.zeros(prep.n, dtype=small)
    a = np.zeros(prep.n, dtype=small)
    for j in members:
        s += prep.state[j] == 2
        a += prep.state[j] > 0
    return s, a, len(members)


def _summaries(t: dict, dmap: np.ndarray, n_dom: int) -> tuple[np.ndarray, ...]:
    n = np.bincount(dmap, t["1_n"], n_dom)
    w_sum = np.bincount(dmap, t["w_n"], n_dom)
    w2_sum = np.bincount(dmap, t["w2_n"], n_dom)
    return n, w_sum, w2_sum


def _finish(
    rate: np.ndarray, var: np.ndarray, zw2: np.ndarray, sums: tuple, dmap, n_dom
) -> dict[str, np.ndarray]:
    n, w_sum, w2_sum = sums
    zw2_dom = np.bincount(dmap, zw2, n_dom)
    with np.errstate(divide="ignore", invalid="ignore"):
        vsrs = w_sum * zw2_dom / (n - 1)
        deff = np.where(vsrs > 0, var / vsrs, np.nan)
        n_eff = np.where(w2_sum > 0, w_sum**2 / w2_sum, 0.0)
    rate = np.where(n > 0, rate, np.nan)
    return {"n": n, "rate": rate, "se": np.sqrt(var), "deff": deff, "n_eff": n_eff}


_Y = np.array([0.0, 0.0, 1.0])  # satisfied, per answer state (0 blank, 1 not satisfied, 2 satisfied)
_A = np.array([0.0, 1.0, 1.0])  # answered


def _mean_z(prep, cells, parts, dmap, n_dom, item_cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of measures: rate = mean over defined parts, z = mean of their z."""
    rates = np.array([item_cache[p][0] for p in parts])  # (K, D)
    defined = ~np.isnan(rates)
    count = defined.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, np.nansum(rates, axis=0) / np.maximum(count, 1), np.nan)
        coef = np.where(defined, 1.0 / np.maximum(count, 1), 0.0)  # (K, D)
    row_dom = dmap[cells.cell]
    row_dom3 = row_dom * 3
    z = np.zeros(prep.n)
    gross = np.zeros(prep.n)  # Σ|term|: what z is rounding noise of when it cancels
    for p, c in zip(parts, coef):
        part = item_cache[p][1]
        if isinstance(part, _ItemZ):  # c·z of an item only depends on (domain, answer state)
            table = c[:, None] * ((_Y - part.r[:, None] * _A) * part.inv[:, None])
            size = np.abs(c)[:, None] * ((_Y + np.abs(part.r)[:, None] * _A) * part.inv[:, None])
            z += table.ravel()[row_dom3 + prep.state[part.j]]
            gross += size.ravel()[row_dom3 + prep.state[part.j]]
        else:
            z += c[row_dom] * part
            gross += np.abs(c[row_dom]) * item_cache[p][2]
    # a respondent whose answers sit at the domain's rates has z = 0 in exact arithmetic; rounding
    # leaves ~1e-17, which would pass for a tiny SE (the cell path, analysis.moment_rates, agrees)
    z = np.where(np.abs(z) <= 1e-12 * gross, 0.0, z)
    return rate, z, gross


def compute_rates(
    frame: pd.DataFrame,
    items: list[str],
    *,
    factors: Mapping[str, Sequence[str]] | None = None,
    rule: str = "pooled",
    by: Sequence[str] | None = None,
    weight: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    margins: pd.DataFrame | None = None,
    satisfied: Sequence[float] = (4, 5),
    ci: str = "logit",
    level: float = 0.95,
    codes: Sequence[float] | None = None,
    lonely_psu: str = "adjust",
) -> pd.DataFrame:
    """Satisfaction rates with design-based SEs and intervals per domain.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent; item columns hold scale values, NaN = not
        applicable or blank.
    items : list of str
        Rated item columns.
    factors : mapping of factor name to item codes, optional
        Adds one row per factor and an ``overall`` row.
    rule : {'pooled', 'mean'}
        ``pooled``: Σ w S / Σ w A over the factor's items; ``mean``: the mean
        of the criterion rates (overall: the mean of the factor rates).
    by : sequence of str, optional
        Domain columns; the whole sample when omitted.
    weight, strata, psu, fpc : str, optional
        Design columns.  Without ``psu`` each row is its own PSU; without
        ``fpc`` the variance is with-replacement.  A domain's degrees of
        freedom are #PSU - #strata among the PSUs and strata holding its
        respondents (R ``svyby(..., svyciprop)``).
    margins : DataFrame, optional
        Columns variable, category, total: the weights are raked first and
        the variance uses calibration residuals.
    satisfied : sequence of float
        Scale values counted as satisfied.
    ci : {'logit', 'kg', 'wilson', 'wald'}
    level : float
    codes : sequence of float, optional
        The scale's codes (the CLI's ``--codes``, default 1-5 there): any
        other value in an item column is an error naming column and line.
        None (the default here) checks nothing.
    lonely_psu : {'adjust', 'average', 'certainty', 'fail'}
        Strata with a single PSU, with R's ``survey.lonely.psu`` meanings
        (``remove`` is also accepted, as ``certainty``).  Every stratum so
        handled is named in a ``note`` column, added after ``n_eff`` only
        when some row has a note.

    Returns
    -------
    DataFrame
        The ``by`` columns, then measure, n, rate, se, ci_lower, ci_upper,
        deff, n_eff; per domain the items in order, the factors, ``overall``.
        A domain (or measure) nobody answered has n = 0 and blank statistics.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {sorted(RULES)}")
    proportion_ci(0.5, 0.1, method=ci, level=level)  # validates ci and level early
    prep = prepare(frame, items, factors, by, weight, strata, psu, fpc, margins, satisfied,
                   codes_allowed=codes, lonely_psu=lonely_psu)
    return _compute(prep, rule, ci, level, whole=not by)[0]


def compute_rates_with_total(frame: pd.DataFrame, items: list[str], *, by: Sequence[str], **kw):
    """``compute_rates`` for the ``by`` domains and for the whole sample, sharing
    one pass over the data; returns (by_table, whole_table)."""
    rule, ci, level = kw.pop("rule", "pooled"), kw.pop("ci", "logit"), kw.pop("level", 0.95)
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {sorted(RULES)}")
    proportion_ci(0.5, 0.1, method=ci, level=level)
    prep = prepare(
        frame, items, kw.get("factors"), by, kw.get("weight"), kw.get("strata"), kw.get("psu"),
        kw.get("fpc"), kw.get("margins"), kw.get("satisfied", (4, 5)),
        codes_allowed=kw.get("codes"), lonely_psu=kw.get("lonely_psu", "adjust"),
    )
    return tuple(_compute(prep, rule, ci, level, whole=True))


def _compute(prep: Prepared, rule: str, ci: str, level: float, whole: bool) -> list[pd.DataFrame]:
    cells = cl.build_cells(
        prep.w, prep.d, prep.strata, prep.psu, prep.dom, prep.n_dom, prep.fraction, prep.cal,
        lonely_psu=prep.lonely_psu,
    )
    sets = []
    if prep.by:
        sets.append((cells.dom, prep.n_dom))
    if whole:
        sets.append((np.zeros(cells.n_cells, np.int64), 1))
    results = [{} for _ in sets]
    caches = [{} for _ in sets]
    cell3 = cells.cell * 3
    for j, item in enumerate(prep.items):
        t = cl.item_tables(cells, prep.state[j], cell3)
        for (dmap, n_dom), res, cache in zip(sets, results, caches):
            rate, zs = cl.ratio_zstats(t, dmap, n_dom)
            var = cl.variance(cells, zs, dmap, n_dom)
            res[item] = _finish(rate, var, zs.zw2, _summaries(t, dmap, n_dom), dmap, n_dom)
            cache[item] = (rate, _item_z(prep, j, rate, t, dmap, n_dom))
    groups = list(prep.factor_members.items())
    if groups:
        groups.append(("overall", sorted({j for _, m in groups for j in m})))
    for name, members in groups:
        s, a, k = _pooled(prep, members)
        t = cl.ratio_tables(cells, s, a, k)
        for (dmap, n_dom), res, cache in zip(sets, results, caches):
            res[name] = RULES[rule](prep, cells, t, name, dmap, n_dom, cache)
    labels = [prep.dom_labels, pd.DataFrame(index=[0])]
    tables = []
    for i, ((dmap, n_dom), res, lab) in enumerate(zip(sets, results, labels)):
        out = _table(res, prep.by if i == 0 and prep.by else [], lab, n_dom,
                     cl.domain_df(cells, dmap, n_dom), ci, level)
        notes = _lonely_notes(prep, cells, dmap, n_dom)
        if any(notes):  # the contract's columns stay as they are when there is nothing to say
            out["note"] = np.repeat(np.asarray(notes, dtype=object), len(res))
        tables.append(out)
    return tables


def _lonely_notes(prep: Prepared, cells: cl.Cells, dmap: np.ndarray, n_dom: int) -> list[str]:
    """Per domain, the strata with a single PSU that hold its respondents and how they were
    handled (DESIGN.md: reported in a ``note`` column and on stderr by the CLI)."""
    if prep.lonely is None or not prep.lonely.any():
        return [""] * n_dom
    dom, stratum = cl.domain_strata(cells, dmap, n_dom)
    keep = prep.lonely[stratum]
    names: list[list[str]] = [[] for _ in range(n_dom)]
    for d, h in zip(dom[keep], stratum[keep]):
        names[d].append(str(prep.strata_labels[h]))
    notes = []
    for found in names:
        if not found:
            notes.append("")
            continue
        shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        word = "stratum" if len(found) == 1 else "strata"
        notes.append(f"{len(found)} {word} with a single PSU ({shown}): lonely-psu {prep.lonely_psu}")
    return notes


@dataclass(frozen=True)
class _ItemZ:
    """Item j's linearized value per row, z = (y - r a) / Σ_d w a, for the mean rule."""

    j: int
    r: np.ndarray  # (D,) the domain's rate, 0 where undefined
    inv: np.ndarray  # (D,) 1 / Σ_d w a, 0 where nobody answered


def _item_z(prep: Prepared, j: int, rate, t, dmap, n_dom) -> _ItemZ:
    den = np.bincount(dmap, t["w_a"], n_dom)
    r = np.nan_to_num(rate)
    inv = np.where(den > 0, 1 / np.where(den > 0, den, 1), 0.0)
    return _ItemZ(j, r, inv)


def _rule_pooled(prep, cells, t, name, dmap, n_dom, cache) -> dict[str, np.ndarray]:
    rate, zs = cl.ratio_zstats(t, dmap, n_dom)
    cache[name] = (rate, None)
    var = cl.variance(cells, zs, dmap, n_dom)
    return _finish(rate, var, zs.zw2, _summaries(t, dmap, n_dom), dmap, n_dom)


def _rule_mean(prep, cells, t, name, dmap, n_dom, cache) -> dict[str, np.ndarray]:
    if name == "overall":
        parts = list(prep.factor_members)
    else:
        parts = [prep.items[j] for j in prep.factor_members[name]]
    rate, z, gross = _mean_z(prep, cells, parts, dmap, n_dom, cache)
    cache[name] = (rate, z, gross)
    zs = cl.dense_zstats(cells, z)
    var = cl.variance(cells, zs, dmap, n_dom)
    return _finish(rate, var, zs.zw2, _summaries(t, dmap, n_dom), dmap, n_dom)


RULES = {"pooled": _rule_pooled, "mean": _rule_mean}


def _table(results, by, dom_labels, n_dom, df, ci, level) -> pd.DataFrame:
    measures = list(results)
    stacked = {
        k: np.stack([results[m][k] for m in measures], axis=1).ravel()
        for k in ("n", "rate", "se", "deff", "n_eff")
    }
    lo, hi = proportion_ci(
        stacked["rate"], stacked["se"], df=np.repeat(df, len(measures)), n=stacked["n"],
        n_eff=stacked["n_eff"], method=ci, level=level,
    )
    empty = stacked["n"] == 0
    out = pd.DataFrame(index=range(n_dom * len(measures)))
    for col in by:
        out[col] = np.repeat(dom_labels[col].to_numpy(), len(measures))
    out["measure"] = np.tile(measures, n_dom)
    out["n"] = stacked["n"].round().astype(np.int64)
    out["rate"] = stacked["rate"]
    out["se"] = np.where(empty, np.nan, stacked["se"])
    out["ci_lower"] = np.where(empty, np.nan, lo)
    out["ci_upper"] = np.where(empty, np.nan, hi)
    out["deff"] = stacked["deff"]
    out["n_eff"] = np.where(empty, np.nan, stacked["n_eff"])
    return out
