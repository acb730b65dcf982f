"""Survey designs and Taylor-linearization variance.

A :class:`Design` holds integer-coded strata, nested cluster stages, finite
population corrections and an optional calibration (post-stratification or
raking).  :func:`taylor_variance` returns the design variance of the totals of
linearized values, the quantity R's ``svyrecvar`` computes.

References
----------
.. [1] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*.
   Wiley. Ch. 2-3 and 7 (calibration).
.. [2] Särndal, C.-E., Swensson, B. & Wretman, J. (1992). *Model Assisted
   Survey Sampling*. Springer. Sections 4.3 (multistage variance) and 6.5.
.. [3] Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in survey
   sampling. *JASA* 87, 376-382.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

LONELY_PSU = ("adjust", "average", "certainty", "remove", "fail")


class LonelyPSUError(ValueError):
    """A stratum has a single PSU and ``lonely_psu`` is ``fail``."""


def codes(values: object) -> np.ndarray:
    """Integer codes 0..k-1 for any 1-d labels (NaN is its own code)."""
    c, _ = pd.factorize(pd.Series(values), use_na_sentinel=False)
    return c.astype(np.int64)


@dataclass(frozen=True)
class Calibration:
    """Calibration of the weights to known totals of categorical variables.

    ``pre_weights`` are the weights before calibration; ``factors`` the
    integer-coded calibration variables (one for post-stratification, several
    for raking).  The variance uses the residuals of the linearized values
    regressed on the indicators of all categories, weighted by
    ``pre_weights`` [3]_: R's ``calibrate(calfun="raking")`` (or
    ``postStratify``), whose residuals are exact, not ``rake()``, which
    residualizes by 10 backfitting sweeps over the margins.
    """

    pre_weights: np.ndarray
    factors: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Design:
    """A survey design over ``n`` sampled rows.

    Attributes
    ----------
    weights : ndarray
        Final (possibly calibrated) sampling weights.
    strata : ndarray
        First-stage stratum codes.
    stages : tuple of ndarray
        Cluster codes per stage, unique within their parent (stage 1 PSUs are
        unique within strata).  Each row is its own PSU when empty.
    fractions : tuple of ndarray
        Per stage, the sampling fraction of each row's unit (0 means
        with-replacement at that stage).
    calibration : Calibration or None
    lonely_psu : {'adjust', 'average', 'certainty', 'remove', 'fail'}
        Treatment of strata with a single PSU, with the meanings of R's
        ``options(survey.lonely.psu=)``: ``adjust`` takes the PSU's deviation
        from zero, the population mean of the linearized values (R leaves
        that PSU total uncentred, which also holds after calibration);
        ``average`` drops such strata and scales the variance by
        #strata / #strata with more than one PSU (all strata of the design,
        as R does for calibrated designs; :mod:`analysis.rates` counts the
        strata holding each domain, as R's subset designs do); ``certainty`` and
        ``remove`` give them no variance; ``fail`` raises
        :class:`LonelyPSUError`.
    """

    weights: np.ndarray
    strata: np.ndarray
    stages: tuple[np.ndarray, ...] = ()
    fractions: tuple[np.ndarray, ...] = ()
    calibration: Calibration | None = None
    lonely_psu: str = "adjust"

    @property
    def n(self) -> int:
        return int(self.weights.shape[0])

    def psu(self) -> np.ndarray:
        """Stage-1 unit codes unique across strata."""
        if not self.stages:
            return np.arange(self.n)
        return codes(self.strata * (self.stages[0].max() + 1) + self.stages[0])

    def df(self) -> int:
        """Degrees of freedom: number of PSUs minus number of strata."""
        return int(len(np.unique(self.psu())) - len(np.unique(self.strata)))


def _fraction(fpc: np.ndarray | None, unit_count: np.ndarray) -> np.ndarray:
    """Sampling fraction from a population size (> 1) or a fraction (<= 1)."""
    if fpc is None:
        return np.zeros(unit_count.shape[0])
    fpc = np.asarray(fpc, dtype=float)
    if np.all(fpc <= 1):
        return fpc
    return unit_count / fpc


def make_design(
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    strata: object = None,
    clusters: Sequence[object] = (),
    fpc: Sequence[object | None] = (),
    calibration: Calibration | None = None,
    lonely_psu: str = "adjust",
    n: int | None = None,
) -> Design:
    """Build a :class:`Design` from label arrays.

    Parameters
    ----------
    weights : array_like, optional
        Sampling weights; when omitted they are the inverse of the product of
        the sampling fractions implied by ``fpc`` (as ``svydesign`` does).
    strata : array_like, optional
        First-stage strata.
    clusters : sequence of array_like
        Cluster labels per stage (PSU, then SSU, ...).
    fpc : sequence of array_like or None
        Per stage, the population size (or sampling fraction) of the unit's
        stratum (stage 1) or parent unit (later stages).
    calibration : Calibration, optional
    lonely_psu : str
    n : int, optional
        Number of rows when neither weights nor strata are given.
    """
    if lonely_psu not in LONELY_PSU:
        raise ValueError(f"lonely_psu must be one of {LONELY_PSU}, got {lonely_psu!r}")
    size = n if weights is None else len(weights)
    if size is None:
        size = len(strata) if strata is not None else len(clusters[0])
    st = np.zeros(size, dtype=np.int64) if strata is None else codes(strata)
    stage_codes: list[np.ndarray] = []
    parent = st
    for labels in clusters:
        c = codes(pd.Series(np.asarray(parent)).astype(str) + "\x1f" + pd.Series(np.asarray(labels)).astype(str))
        stage_codes.append(c)
        parent = c
    fractions: list[np.ndarray] = []
    parents = [st, *stage_codes[:-1]] if stage_codes else [st]
    units = stage_codes if stage_codes else [np.arange(size)]
    for i, unit in enumerate(units):
        f = fpc[i] if i < len(fpc) else None
        par = parents[i]
        # number of sampled units in the parent, per row
        pairs = np.unique(np.stack([par, unit]), axis=1)
        count = np.bincount(pairs[0], minlength=par.max() + 1)[par]
        fractions.append(_fraction(f, count.astype(float)))
    if weights is None:
        prob = np.ones(size)
        for f in fractions:  # a stage without fpc (fraction 0) leaves the weight alone, as in R
            prob = prob * np.where(f > 0, f, 1.0)
        w = 1.0 / prob
    else:
        w = np.asarray(weights, dtype=float)
    return Design(w, st, tuple(stage_codes), tuple(fractions), calibration, lonely_psu)


def calibration_residuals(z: np.ndarray, cal: Calibration) -> np.ndarray:
    """Residuals of ``z`` (n x m) regressed on the calibration indicators.

    Weighted least squares with the pre-calibration weights; the design matrix
    stacks the indicators of every category of every calibration variable
    (rank deficiency is harmless: residuals are unique).
    """
    from scipy import sparse  # heavy: 0.15 s to import, not needed by the cell engine (analysis.cells)

    n = z.shape[0]
    blocks = []
    for f in cal.factors:
        k = int(f.max()) + 1
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), f)), shape=(n, k)))
    x = sparse.hstack(blocks).tocsr()
    xd = x.multiply(cal.pre_weights[:, None]).tocsr()
    gram = (xd.T @ x).toarray()
    rhs = xd.T @ z
    beta = np.linalg.lstsq(gram, rhs, rcond=None)[0]
    return z - x @ beta


def _between_units(
    totals: np.ndarray,
    parent: np.ndarray,
    fraction: np.ndarray,
    multiplier: np.ndarray,
    lonely: str,
) -> np.ndarray:
    """Σ_parent mult·(1−f)·n/(n−1)·Σ_units (T − T̄)² for unit totals (u x m)."""
    n_par = int(parent.max()) + 1
    count = np.bincount(parent, minlength=n_par).astype(float)
    sums = np.stack([np.bincount(parent, t, n_par) for t in totals.T], axis=1)
    centred = totals - (sums / np.maximum(count, 1)[:, None])[parent]
    lonely_rows = (count == 1)[parent] & (fraction < 1)
    if lonely_rows.any():
        if lonely == "fail":
            raise LonelyPSUError(
                "a stratum has a single PSU; choose lonely_psu adjust, average or certainty"
            )
        # R centres a lonely PSU at zero under "adjust" and gives it nothing otherwise
        centred[lonely_rows] = totals[lonely_rows] if lonely == "adjust" else 0.0
    scale = np.where(count > 1, count / np.maximum(count - 1, 1), 1.0)[parent]
    coef = multiplier * (1 - fraction) * scale
    var = (coef[:, None] * centred**2).sum(axis=0)
    if lonely == "average" and lonely_rows.any():
        present = count > 0
        lonely_par = np.zeros(n_par, bool)
        lonely_par[parent[lonely_rows]] = True
        var = var * present.sum() / max(int((present & ~lonely_par).sum()), 1)
    return var


def taylor_variance(x: np.ndarray, design: Design) -> np.ndarray:
    """Variance of the weighted totals of linearized values.

    Parameters
    ----------
    x : ndarray, shape (n,) or (n, m)
        Weighted linearized values (weight times influence), zero outside the
        domain; rows not in a domain are kept so that no PSU or stratum is
        lost (the domain estimator).
    design : Design

    Returns
    -------
    ndarray, shape (m,) or scalar
        Recursive multistage variance: between-PSU within strata, plus for
        each later stage the within-unit variance times the product of the
        earlier stages' sampling fractions [2]_.  With calibration the stage-1
        term uses ``w · residual(x / w)`` [1]_.
    """
    x = np.asarray(x, dtype=float)
    vector = x.ndim == 1
    x2 = x[:, None] if vector else x
    units = list(design.stages) or [np.arange(design.n)]
    parents = [design.strata, *units[:-1]]
    var = np.zeros(x2.shape[1])
    from scipy import sparse  # heavy: as in calibration_residuals

    multiplier_rows = np.ones(design.n)
    for stage, (unit, parent) in enumerate(zip(units, parents)):
        xs = x2
        if stage == 0 and design.calibration is not None:
            w = design.weights
            safe = np.where(w != 0, w, 1.0)
            xs = calibration_residuals(x2 / safe[:, None], design.calibration) * w[:, None]
        u_codes, first = np.unique(unit, return_index=True)
        idx = np.searchsorted(u_codes, unit)
        mat = sparse.csr_matrix((np.ones(design.n), (idx, np.arange(design.n))))
        totals = np.asarray(mat @ xs)
        frac = design.fractions[stage][first] if stage < len(design.fractions) else 0 * first
        var += _between_units(
            totals, codes(parent[first]), frac, multiplier_rows[first], design.lonely_psu
        )
        if stage < len(design.fractions):
            multiplier_rows = multiplier_rows * design.fractions[stage]
        if not np.any(multiplier_rows):
            break
    return var[0] if vector else var
