"""``compute_rates`` from cell moments (issue 15); use it as ``analysis.moments.rates_from_moments``.

The cells of a :class:`analysis.moments.CellMoments` become the cells of the sufficient-
statistics engine (:class:`analysis.cells.Cells`): one cell per row of the table, its unit the
stratum (each respondent is a PSU), its weight the weight column's value (a key, so constant
within the cell), raked at cell level with frequency weights count·d.  The per-cell moment tables
are the moments times the cell's weights, and the ratios, linearized variances, design effects
and intervals come from the same code as the microdata path (:mod:`analysis.rates`).  Under the
mean rule a factor's linearized value per row is a linear combination of its items' satisfied
and answered indicators, so its per-cell Σz and Σz² follow from the item and cross moments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import numpy as np
import pandas as pd

from analysis import cells as cl
from analysis import rates as rt
from analysis.cells import _compact
from analysis.design import LONELY_PSU
from analysis.intervals import proportion_ci
from analysis.labels import nfc, nfc_column
from analysis.prepare import _label_codes, _sorted_codes, _weights, numeric, where
from analysis.weights import rake


def rates_from_moments(
    cm,
    items: Sequence[str],
    *,
    factors: Mapping[str, Sequence[str]] | None = None,
    rule: str = "pooled",
    by: Sequence[str] | None = None,
    weight: str | None = None,
    strata: str | None = None,
    fpc: str | None = None,
    psu: str | None = None,
    margins: pd.DataFrame | None = None,
    ci: str = "logit",
    level: float = 0.95,
    lonely_psu: str = "adjust",
    with_total: bool = False,
):
    """The table ``compute_rates`` gives, from cell moments ``cm`` (an
    :class:`analysis.moments.CellMoments`, which re-exports this function; this module does not
    import that one, so that the two form no import cycle).

    ``weight``, ``strata``, ``fpc``, the margins' variables and ``by`` are key columns of
    ``cm.keys``.  Under the pooled rule a factor F (and ``overall``) is cm's pooled measure of
    that name; under the mean rule factors and overall come from the item moments and
    ``cm.cross`` (the pooled measures still give n, n_eff and deff, as in ``compute_rates``).
    ``with_total=True`` returns (by_table, whole_table) like ``compute_rates_with_total``.
    ``psu`` is refused: PSU totals cannot be formed from cells that mix PSUs.
    """
    if psu is not None:
        raise ValueError("a design with PSUs cannot come from cells; use the microdata path")
    if rule not in rt.RULES:
        raise ValueError(f"unknown rule {rule!r}; choose one of {sorted(rt.RULES)}")
    proportion_ci(0.5, 0.1, method=ci, level=level)
    if lonely_psu not in LONELY_PSU:
        raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU)}, got {lonely_psu!r}")
    items, members = _check_measures(cm, items, factors, rule)
    cm = cm.subset(cm.count > 0)
    if cm.n_cells == 0:
        raise ValueError("the data has no rows")
    keys = cm.keys
    missing = [c for c in [*(by or []), weight, strata, fpc] if c and c not in keys.columns]
    if missing:
        raise ValueError(f"unknown column {missing[0]!r}: not a key column of the cell moments")
    by = list(by or [])
    labels_nfc = {c: nfc_column(keys[c]) for c in [*by, strata] if c}
    if any(labels_nfc[c] is not keys[c] for c in labels_nfc):
        keys = keys.assign(**labels_nfc)
    cells, dom_labels, n_dom, notes_ctx = _cells(cm, keys, by, weight, strata, fpc, margins,
                                                 lonely_psu)
    sets = [(cells.dom, n_dom)] if by else []
    if with_total or not by:
        sets.append((np.zeros(cells.n_cells, np.int64), 1))
    tables = [_tables(cm, cells, j) for j in range(len(cm.measures))]
    pos = {name: j for j, name in enumerate(cm.measures)}
    xpos = {name: k for k, name in enumerate(cm.cross_items)}
    out = []
    for i, (dmap, nd) in enumerate(sets):
        res, cache = {}, {}
        for item in items:
            t = tables[pos[item]]
            rate, zs = cl.ratio_zstats(t, dmap, nd)
            var = cl.variance(cells, zs, dmap, nd)
            res[item] = rt._finish(rate, var, zs.zw2, rt._summaries(t, dmap, nd), dmap, nd)
            if item in xpos:
                cache[item] = (rate, _item_coef(rate, t, dmap, nd, xpos[item], len(xpos)))
        for name, parts in members:
            t = tables[pos[name]]
            if rule == "pooled":
                rate, zs = cl.ratio_zstats(t, dmap, nd)
            else:
                rate, coef = _mean_coef([cache[p] for p in parts])
                cache[name] = (rate, coef)
                zs = _coef_zstats(cm, cells, coef, dmap)
            var = cl.variance(cells, zs, dmap, nd)
            res[name] = rt._finish(rate, var, zs.zw2, rt._summaries(t, dmap, nd), dmap, nd)
        whole = not (i == 0 and by)
        table = rt._table(res, [] if whole else by, pd.DataFrame(index=[0]) if whole else dom_labels,
                          nd, cl.domain_df(cells, dmap, nd), ci, level)
        notes = rt._lonely_notes(notes_ctx, cells, dmap, nd)
        if any(notes):
            table["note"] = np.repeat(np.asarray(notes, dtype=object), len(res))
        out.append(table)
    return tuple(out) if with_total and by else out[-1]


def _check_measures(cm, items, factors, rule) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Validate items and factors as prepare() does; the groups in order with their parts."""
    items = list(items)
    if not items:
        raise ValueError("no items given")
    if len(set(items)) != len(items):
        raise ValueError("an item is listed twice")
    absent = [c for c in items if c not in cm.measures]
    if absent:
        raise ValueError(f"unknown item {absent[0]!r}: not a measure of the cell moments")
    index = {c: j for j, c in enumerate(items)}
    groups: list[tuple[str, list[str]]] = []
    for name, cols in (factors or {}).items():
        name, cols = str(nfc(name)), [nfc(c) for c in cols]
        unknown = [c for c in cols if c not in index]
        if unknown:
            raise ValueError(f"factor {name!r} names {unknown[0]!r}, which is not among the items")
        if name in index or name == "overall":
            raise ValueError(f"factor name {name!r} clashes with an item or 'overall'")
        groups.append((name, [c for c in cols]))
    if groups:
        used = sorted({index[c] for _, cols in groups for c in cols})
        groups.append(("overall", [g for g, _ in groups]))
        if rule == "mean":
            lacking = [items[j] for j in used if items[j] not in cm.cross_items]
            if lacking:
                raise ValueError(f"the mean rule needs cross moments of item {lacking[0]!r}")
    absent = [g for g, _ in groups if g not in cm.measures]
    if absent:
        raise ValueError(f"no pooled measure {absent[0]!r} in the cell moments")
    return items, groups


def _cells(cm, keys, by, weight, strata, fpc, margins, lonely_psu):
    """The engine's Cells for the cell table, the domain labels, #domains and the notes context."""
    n_c, count = cm.n_cells, cm.count.astype(np.int64)
    if by:
        key = np.zeros(n_c, dtype=np.int64)
        for col in by:
            c, u = _label_codes(keys, col, "by")
            c, size = _sorted_codes(keys, col, c, u)
            key = key * size + c
        dom, uniq = _compact(key)
        first = np.full(uniq.size, n_c, dtype=np.int64)
        np.minimum.at(first, dom, np.arange(n_c))
        dom_labels = keys[by].iloc[first].reset_index(drop=True)
        dom = dom.astype(np.int64)
    else:
        dom, dom_labels = np.zeros(n_c, dtype=np.int64), pd.DataFrame(index=[0])
    n_dom = int(dom.max()) + 1
    w = _weights(keys, weight)
    if strata:
        st, strata_labels = _label_codes(keys, strata, "strata")
    else:
        st, strata_labels = np.zeros(n_c, np.int64), ["whole sample"]
    n_strata = int(st.max()) + 1
    n_h = np.bincount(st, count, n_strata)
    fraction = _fraction(keys, fpc, st, n_h)
    lonely = (n_h == 1) & (fraction < 1)
    if lonely.any() and lonely_psu == "fail":
        label = strata_labels[int(np.argmax(lonely))]
        raise ValueError(
            f"stratum {label!r} has a single PSU (lonely PSU); choose --lonely-psu "
            "adjust, average or certainty"
        )
    d, cal = w, ()
    if margins is not None:  # raking the cells with frequency weights count·d = raking the rows
        name = "_".join(["_freq", *map(str, keys.columns)])
        res = rake(keys.assign(**{name: count * w}), name, margins)
        if not res.converged:
            raise ValueError(
                f"raking did not converge in {res.iterations} iterations "
                f"(largest margin error {res.max_error:.3g})"
            )
        w, cal = res.weights / count, res.factors
    g = np.zeros(n_c, dtype=np.int64)
    for f in cal:
        g = g * (int(f.max()) + 1) + f
    g, gkey = _compact(g)
    n_g = gkey.size
    xg = gram_pinv = None
    if cal:
        xg, gram_pinv = cl.calibration_design(gkey, [int(f.max()) + 1 for f in cal],
                                              np.bincount(g, count * d, n_g))
    ug = st * n_g + g
    p1 = np.bincount(ug, count * w, n_strata * n_g).reshape(n_strata, n_g)
    p2 = np.bincount(ug, count * w * w, n_strata * n_g).reshape(n_strata, n_g)
    cells = cl.Cells(
        np.arange(n_c), n_c, st, dom, g, np.arange(n_strata), n_h.astype(float), fraction, True,
        w, w * w, d, p1, p2, xg, gram_pinv, n_dom, int(count.sum()), w, d, lonely_psu, count,
    )
    ctx = SimpleNamespace(lonely=lonely, strata_labels=tuple(strata_labels), lonely_psu=lonely_psu)
    return cells, dom_labels, n_dom, ctx


def _fraction(keys: pd.DataFrame, fpc: str | None, st: np.ndarray, n_h: np.ndarray) -> np.ndarray:
    """Sampling fraction per stratum, with prepare()'s rules (n_h: rows per stratum)."""
    if fpc is None:
        return np.zeros(n_h.size)
    pop = numeric(keys, fpc, "fpc column")
    if np.isnan(pop).any():
        raise ValueError(f"fpc column {fpc!r} is blank on {where(keys, int(np.isnan(pop).argmax()))}")
    lo = np.full(n_h.size, np.inf)
    hi = np.full(n_h.size, -np.inf)
    np.minimum.at(lo, st, pop)
    np.maximum.at(hi, st, pop)
    if np.any(lo != hi):
        raise ValueError(f"fpc column {fpc!r} must be constant within each stratum")
    if np.all(lo <= 1):
        return lo
    if np.any(lo < n_h):
        raise ValueError(f"fpc column {fpc!r}: a population size is smaller than its sample")
    return n_h / lo


def _tables(cm, cells: cl.Cells, j: int) -> dict[str, np.ndarray]:
    """Measure j's per-cell tables as ``cells.combo_tables`` gives them from rows."""
    mom = dict(zip(("n", "s", "a", "ss", "sa", "aa"), cm.m[:, j].T))
    out = {"1_" + k: mom[k] for k in ("n", "s", "a")}
    for name, f in (("w", cells.cell_w), ("w2", cells.cell_w**2), ("d", cells.cell_d)):
        for k in ("n", "s", "a") + (("ss", "sa", "aa") if name != "d" else ()):
            out[f"{name}_{k}"] = f * mom[k]
    return out


def _item_coef(rate, t, dmap, n_dom, k, n_x) -> tuple[np.ndarray, np.ndarray]:
    """Item k's z = (y - r a) / Σ_d w a as coefficients (D, K) on y and on a."""
    den = np.bincount(dmap, t["w_a"], n_dom)
    inv = np.where(den > 0, 1 / np.where(den > 0, den, 1), 0.0)
    ay, aa = np.zeros((n_dom, n_x)), np.zeros((n_dom, n_x))
    ay[:, k] = inv
    aa[:, k] = -np.nan_to_num(rate) * inv
    return ay, aa


def _mean_coef(parts) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Mean over the defined parts (as rates._mean_z): rate and z's coefficients."""
    rates = np.array([p[0] for p in parts])  # (P, D)
    defined = ~np.isnan(rates)
    count = defined.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(count > 0, np.nansum(rates, axis=0) / np.maximum(count, 1), np.nan)
        coef = np.where(defined, 1.0 / np.maximum(count, 1), 0.0)
    ay = sum(c[:, None] * p[1][0] for c, p in zip(coef, parts))
    aa = sum(c[:, None] * p[1][1] for c, p in zip(coef, parts))
    return rate, (ay, aa)


def _coef_zstats(cm, cells: cl.Cells, coef, dmap) -> cl.ZStats:
    """Per-cell Σz and Σz² of z = Σ_k cy_k y_k + ca_k a_k from the cross moments."""
    cy, ca = coef[0][dmap], coef[1][dmap]  # (C, K)
    yy, ya, aa = cm.cross[:, 0], cm.cross[:, 1], cm.cross[:, 2]
    sy = np.einsum("ckk->ck", yy)
    sa = np.einsum("ckk->ck", aa)
    # a cell whose z are all 0 in exact arithmetic (each respondent's answers at the domain's rates)
    # sums to exactly 0, as the rows do: rounding noise below 1e-12 of Σ|term| is 0
    # (cells._exact_zero; the moments are counts, never negative)
    z1 = (cy * sy).sum(axis=1) + (ca * sa).sum(axis=1)
    g1 = (np.abs(cy) * sy).sum(axis=1) + (np.abs(ca) * sa).sum(axis=1)
    z2 = (np.einsum("cp,cpq,cq->c", cy, yy, cy) + 2 * np.einsum("cp,cpq,cq->c", cy, ya, ca)
          + np.einsum("cp,cpq,cq->c", ca, aa, ca))
    ay, aa_ = np.abs(cy), np.abs(ca)
    g2 = (np.einsum("cp,cpq,cq->c", ay, yy, ay) + 2 * np.einsum("cp,cpq,cq->c", ay, ya, aa_)
          + np.einsum("cp,cpq,cq->c", aa_, aa, aa_))
    z1 = np.where(np.abs(z1) <= 1e-12 * g1, 0.0, z1)
    z2 = np.where(np.abs(z2) <= 1e-12 * g2, 0.0, z2)
    return cl.cell_zstats(cells, z1, z2)
