"""Sufficient-statistics engine for domain ratios under large designs.

Every respondent falls in one *cell*: (stratum or PSU) × domain × calibration
cell.  A measure is summarised per cell by weighted moments (np.bincount over
integer codes), so the linearized variance of every domain ratio, including
the calibration residuals, is computed from arrays of cells rather than rows.
The results equal :func:`analysis.design.taylor_variance` (tested).

For one-respondent-per-PSU designs the within-stratum sum of squared PSU
totals is Σ w²e² with e = z - Xβ the calibration residual; expanding the
square gives cell moments of w²z², w²z and cross-tables of w² by calibration
cell [1]_.  For clustered designs PSU totals are formed directly.

References
----------
.. [1] Särndal, C.-E., Swensson, B. & Wretman, J. (1992). *Model Assisted
   Survey Sampling*. Springer, Sec. 5.7 (ratio linearization) and 6.6
   (regression residual variance).
.. [2] Lumley, T. (2010). *Complex Surveys*. Wiley, Sec. 7.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.design import _between_units


@dataclass(frozen=True)
class Cells:
    """Cell coding of the respondents for one call of ``compute_rates``."""

    cell: np.ndarray  # (N,) compact cell code
    n_cells: int
    unit: np.ndarray  # (cells,) stratum (row PSUs) or PSU index
    dom: np.ndarray  # (cells,) finest by-domain index
    cal: np.ndarray  # (cells,) calibration cell (0 without calibration)
    unit_stratum: np.ndarray  # (units,) stratum of each unit
    unit_size: np.ndarray  # (units,) PSUs per unit (n_h) for row PSUs, else 1
    fraction: np.ndarray  # (units,) sampling fraction of the unit's stratum
    rowwise: bool
    w: np.ndarray
    w2: np.ndarray
    d: np.ndarray
    p1: np.ndarray  # (units, G) Σ w
    p2: np.ndarray  # (units, G) Σ w² (row PSUs only)
    xg: np.ndarray | None  # (G, p) indicators of each calibration cell
    gram_pinv: np.ndarray | None  # (p, p)
    n_dom: int
    total_psu: int
    # Where every weight (and pre-calibration weight) is the same within each cell, as with
    # design weights N_h / n_h raked by calibration cell: the cell's w and d. Moments are then
    # counts times these, one unweighted bincount instead of one per weight.
    cell_w: np.ndarray | None = None
    cell_d: np.ndarray | None = None
    lonely_psu: str = "adjust"  # R's survey.lonely.psu (analysis.design.LONELY_PSU)
    # (cells,) rows per cell, for cells built from per-cell sums (analysis.moment_rates) where
    # ``cell`` holds one entry per cell rather than one per row; None: count ``cell``
    count: np.ndarray | None = None


def _compact(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compact codes for a non-negative int key; returns (codes, first key per code)."""
    top = int(key.max()) + 1 if key.size else 1
    if top <= 50_000_000:
        present = np.bincount(key, minlength=top) > 0
        lut = np.cumsum(present) - 1
        return lut[key], np.flatnonzero(present)
    uniq, inv = np.unique(key, return_inverse=True)
    return inv, uniq


def build_cells(
    w: np.ndarray,
    d: np.ndarray,
    strata: np.ndarray,
    psu: np.ndarray | None,
    dom: np.ndarray,
    n_dom: int,
    fraction_h: np.ndarray,
    cal_factors: tuple[np.ndarray, ...] = (),
    lonely_psu: str = "adjust",
) -> Cells:
    """Code the respondents into cells (see module docstring)."""
    n = w.size
    g = np.zeros(n, dtype=np.int64)
    for f in cal_factors:
        g = g * (int(f.max()) + 1) + f
    g, gkey = _compact(g)
    n_g = gkey.size
    rowwise = psu is None
    unit = strata if rowwise else psu
    key = (unit * n_dom + dom) * n_g + g
    cell, ckey = _compact(key)
    c_unit = ckey // (n_dom * n_g)
    c_dom = (ckey // n_g) % n_dom
    c_cal = ckey % n_g
    n_unit = int(unit.max()) + 1
    if rowwise:
        unit_stratum = np.arange(n_unit)
        unit_size = np.bincount(strata, minlength=n_unit).astype(float)
        total_psu = n
    else:
        unit_stratum = np.zeros(n_unit, dtype=np.int64)
        unit_stratum[psu] = strata
        unit_size = np.ones(n_unit)
        total_psu = n_unit
    frac = fraction_h[unit_stratum]
    w2 = w * w
    ug = unit * n_g + g
    p1 = np.bincount(ug, w, n_unit * n_g).reshape(n_unit, n_g)
    p2 = np.bincount(ug, w2, n_unit * n_g).reshape(n_unit, n_g) if rowwise else p1 * 0
    xg = gram_pinv = None
    if cal_factors:
        sizes = [int(f.max()) + 1 for f in cal_factors]
        xg, gram_pinv = calibration_design(gkey, sizes, np.bincount(g, d, n_g))
    cell_w, cell_d = _constant_per_cell(cell, ckey.size, w), None
    if cell_w is not None:
        cell_d = cell_w if d is w else _constant_per_cell(cell, ckey.size, d)
        if cell_d is None:
            cell_w = None
    return Cells(
        cell, ckey.size, c_unit, c_dom, c_cal, unit_stratum, unit_size, frac, rowwise,
        w, w2, d, p1, p2, xg, gram_pinv, n_dom, total_psu, cell_w, cell_d, lonely_psu,
    )


def calibration_design(gkey: np.ndarray, sizes: list[int], dg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indicators (G, p) of each calibration cell (``gkey``: mixed-radix key of the margin codes
    with radices ``sizes``) and the pseudo-inverse of their Gram matrix weighted by Σd (``dg``)."""
    n_g = gkey.size
    rest, cols = gkey.copy(), []
    for size in reversed(sizes):
        cols.append(rest % size)
        rest //= size
    cols.reverse()
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    xg = np.zeros((n_g, sum(sizes)))
    for col, off in zip(cols, offsets):
        xg[np.arange(n_g), off + col] = 1.0
    return xg, np.linalg.pinv(xg.T @ (dg[:, None] * xg))


def _constant_per_cell(cell: np.ndarray, n_cells: int, x: np.ndarray) -> np.ndarray | None:
    """Each cell's value of x if x is the same on all rows of every cell (to 1e-12), else None."""
    count = np.bincount(cell, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_cell = np.bincount(cell, x, n_cells) / count
    spread = np.abs(x - per_cell[cell]).max(initial=0.0)
    return per_cell if spread <= 1e-12 * np.abs(x).max(initial=1.0) else None


@dataclass(frozen=True)
class ZStats:
    """Per-cell sums of a measure's linearized values z (domain-set specific)."""

    zz2: np.ndarray  # Σ w² z²
    z1w: np.ndarray  # Σ w z
    z1w2: np.ndarray  # Σ w² z
    z1d: np.ndarray  # Σ d z (pre-calibration weights)
    zw2: np.ndarray  # Σ w z² (for the design effect)


def ratio_tables(cells: Cells, s: np.ndarray, a: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Per-cell weighted moments of numerator s and denominator a (ints 0..k)."""
    base = k + 1
    combo = a.astype(np.int64) * base + s
    vals = np.arange(base * base)
    return combo_tables(cells, combo, vals % base, vals // base)


def item_tables(cells: Cells, state: np.ndarray, cell3: np.ndarray) -> dict[str, np.ndarray]:
    """Moments of one item from its state (0 blank, 1 not satisfied, 2 satisfied);
    ``cell3`` is ``cells.cell * 3``, computed once per call."""
    return combo_tables(cells, state, np.array([0, 0, 1]), np.array([0, 1, 1]), base_code=cell3)


def combo_tables(
    cells: Cells, combo: np.ndarray, sv: np.ndarray, av: np.ndarray, base_code=None
) -> dict[str, np.ndarray]:
    """Moments from a per-row combination code whose (s, a) values are sv, av."""
    n_sa = sv.size
    code = (cells.cell * n_sa if base_code is None else base_code) + combo
    size = cells.n_cells * n_sa
    sv, av = sv.astype(float), av.astype(float)
    answered = (av > 0).astype(float)
    out: dict[str, np.ndarray] = {}
    tables: dict[int, np.ndarray] = {}
    if cells.cell_w is not None:  # weights constant per cell: counts times the cell's weight
        count = np.bincount(code, None, size).reshape(cells.n_cells, n_sa)
        tables = {id(None): count, id(cells.w): count * cells.cell_w[:, None],
                  id(cells.w2): count * (cells.cell_w**2)[:, None], id(cells.d): count * cells.cell_d[:, None]}
    for name, wt in (("1", None), ("w", cells.w), ("w2", cells.w2), ("d", cells.d)):
        if id(wt) not in tables:  # d is w itself without calibration
            tables[id(wt)] = np.bincount(code, wt, size).reshape(cells.n_cells, n_sa)
        t = tables[id(wt)]
        out[name + "_n"] = t @ answered
        out[name + "_s"], out[name + "_a"] = t @ sv, t @ av
        if name in ("w", "w2"):
            out[name + "_ss"], out[name + "_sa"], out[name + "_aa"] = t @ sv**2, t @ (sv * av), t @ av**2
    return out


def ratio_zstats(t: dict[str, np.ndarray], dmap: np.ndarray, n_dom: int):
    """Domain ratios R = Σws/Σwa and the cell sums of z = (s - R a)/Σwa."""
    num = np.bincount(dmap, t["w_s"], n_dom)
    den = np.bincount(dmap, t["w_a"], n_dom)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / den
        r = np.nan_to_num(ratio)[dmap]
        inv = np.where(den > 0, 1 / den, 0.0)[dmap]
    z = ZStats(
        _exact_zero(t["w2_ss"], -2 * r * t["w2_sa"], r * r * t["w2_aa"]) * inv**2,
        _exact_zero(t["w_s"], -r * t["w_a"]) * inv,
        _exact_zero(t["w2_s"], -r * t["w2_a"]) * inv,
        _exact_zero(t["d_s"], -r * t["d_a"]) * inv,
        _exact_zero(t["w_ss"], -2 * r * t["w_sa"], r * r * t["w_aa"]) * inv**2,
    )
    return ratio, z


def _exact_zero(*terms: np.ndarray) -> np.ndarray:
    """Σ terms, with 0 where the sum is rounding noise (|Σ| ≤ 1e-12 Σ|term|): a cell whose
    linearized values are all 0 in exact arithmetic (s = R a on every row, as in a domain of one
    respondent) then gives a variance of exactly 0 whatever order the sums were taken in, so the
    row and cell paths agree on a zero SE (where the interval rules switch)."""
    total = sum(terms)
    gross = sum(np.abs(x) for x in terms)
    return np.where(np.abs(total) <= 1e-12 * gross, 0.0, total)


def dense_zstats(cells: Cells, z: np.ndarray) -> ZStats:
    """Cell sums for a linearized value given per row (e.g. a mean of rates)."""
    c, m = cells.cell, cells.n_cells
    if cells.cell_w is not None:  # weights constant per cell: two unweighted sums
        return cell_zstats(cells, np.bincount(c, z, m), np.bincount(c, z * z, m))
    wz = cells.w * z
    z1w = np.bincount(c, wz, m)
    return ZStats(
        np.bincount(c, wz * wz, m),
        z1w,
        np.bincount(c, wz * cells.w, m),
        z1w if cells.d is cells.w else np.bincount(c, cells.d * z, m),
        np.bincount(c, wz * z, m),
    )


def cell_zstats(cells: Cells, z1: np.ndarray, z2: np.ndarray) -> ZStats:
    """ZStats from the per-cell sums Σz and Σz² where the weights are constant per cell."""
    cw = cells.cell_w
    return ZStats(cw * cw * z2, cw * z1, cw * cw * z1, cells.cell_d * z1, cw * z2)


def variance(cells: Cells, zs: ZStats, dmap: np.ndarray, n_dom: int) -> np.ndarray:
    """Linearized variance of each domain's estimate (domains given by ``dmap``)."""
    n_unit = cells.unit_stratum.size
    ud = cells.unit * n_dom + dmap
    size = n_unit * n_dom
    lin = np.bincount(ud, zs.z1w, size).reshape(n_unit, n_dom)
    quad = np.bincount(ud, zs.zz2, size).reshape(n_unit, n_dom) if cells.rowwise else None
    if cells.xg is not None:
        n_g = cells.xg.shape[0]
        zd = np.bincount(dmap * n_g + cells.cal, zs.z1d, n_dom * n_g).reshape(n_dom, n_g)
        beta = cells.gram_pinv @ (zd @ cells.xg).T  # (p, D)
        fit = (cells.xg @ beta).T  # (D, G)
        lin = lin - cells.p1 @ fit.T
        if quad is not None:
            cross = np.bincount(ud, zs.z1w2 * fit[dmap, cells.cal], size).reshape(n_unit, n_dom)
            quad = quad - 2 * cross + cells.p2 @ (fit**2).T
    mode = cells.lonely_psu
    if not cells.rowwise:
        var = _between_units(
            lin, cells.unit_stratum, cells.fraction, np.ones(n_unit),
            "certainty" if mode == "average" else mode,
        )
    else:
        n_h = cells.unit_size[:, None]
        coef = (1 - cells.fraction)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = quad - lin**2 / n_h
            # Σ(z - z̄)² = Σz² - (Σz)²/n cancels to rounding noise (~1e-17 of Σz²) when every z of
            # the stratum is the same: that is exactly 0 (whose root, ~1e-8, would otherwise pass
            # for a tiny SE and collapse the interval instead of applying the zero-SE rule)
            spread = np.where(np.abs(spread) <= 1e-12 * np.abs(quad), 0.0, spread)
            within = n_h / (n_h - 1) * spread
        # R's "adjust" leaves a lonely PSU's total uncentred (its deviation from zero, the mean of
        # the linearized values); "average" and "certainty" give it nothing here
        lonely = lin**2 if mode == "adjust" else np.zeros_like(lin)
        per_unit = np.where(n_h > 1, within, np.where(n_h == 1, lonely, 0.0))
        var = np.maximum((coef * per_unit).sum(axis=0), 0.0)
    if mode == "average":
        var = var * _average_factor(cells, dmap, n_dom)
    return var


def lonely_strata(cells: Cells) -> np.ndarray:
    """Per stratum: a single PSU, sampled with replacement or with an fpc below 1."""
    n_strata = int(cells.unit_stratum.max()) + 1
    if cells.rowwise:
        single = cells.unit_size == 1
    else:
        single = np.bincount(cells.unit_stratum, minlength=n_strata) == 1
    frac = np.zeros(n_strata)
    frac[cells.unit_stratum] = cells.fraction
    return single & (frac < 1)


def domain_strata(cells: Cells, dmap: np.ndarray, n_dom: int) -> tuple[np.ndarray, np.ndarray]:
    """The (domain, stratum) pairs holding at least one respondent, as two arrays."""
    n_strata = int(cells.unit_stratum.max()) + 1
    pairs = np.unique(dmap * n_strata + cells.unit_stratum[cells.unit])
    return pairs // n_strata, pairs % n_strata


def _average_factor(cells: Cells, dmap: np.ndarray, n_dom: int) -> np.ndarray:
    """R's "average": the variance times #strata / #strata with more than one PSU, counting the
    strata that hold the domain (R's subset design) or, with calibration, all of them."""
    lonely = lonely_strata(cells)
    if cells.xg is not None:
        total = np.full(n_dom, float(lonely.size))
        bad = np.full(n_dom, float(lonely.sum()))
    else:
        dom, stratum = domain_strata(cells, dmap, n_dom)
        total = np.bincount(dom, minlength=n_dom).astype(float)
        bad = np.bincount(dom, lonely[stratum], n_dom)
    return np.where(total > bad, total / np.maximum(total - bad, 1), np.nan)


def domain_df(cells: Cells, dmap: np.ndarray, n_dom: int) -> np.ndarray:
    """Degrees of freedom per domain: #PSU - #strata among the PSUs and strata that hold at least
    one of the domain's respondents (R's ``degf`` of the domain's subset design, as ``svyby`` and
    ``svyciprop`` use; Korn & Graubard 1999, Sec. 5.2).  ``dmap`` is each cell's domain."""
    dom, _ = domain_strata(cells, dmap, n_dom)
    n_h = np.bincount(dom, minlength=n_dom)
    if cells.rowwise:  # each respondent is a PSU
        rows = np.bincount(cells.cell, minlength=cells.n_cells) if cells.count is None else cells.count
        n_psu = np.bincount(dmap, rows, n_dom)
    else:
        n_units = cells.unit_stratum.size
        n_psu = np.bincount(np.unique(dmap * n_units + cells.unit) // n_units, minlength=n_dom)
    return (n_psu - n_h).astype(float)
