"""Design-based totals, means and ratios with linearized standard errors.

Domains are estimated as domains: rows outside the domain (or with a missing
value, R's ``na.rm=TRUE``) contribute zero but keep their PSU and stratum.

References
----------
.. [1] Lumley, T. (2004). Analysis of complex survey samples. *Journal of
   Statistical Software* 9(8). (``svytotal``, ``svymean``, ``svyratio``)
.. [2] Kish, L. (1965). *Survey Sampling*. Wiley. (design effect)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.design import Design, taylor_variance

DEFF_MODES = ("replace", "without")


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its linearized standard error."""

    estimate: float
    se: float
    deff: float
    n: int


def _domain_mask(design: Design, y: np.ndarray, domain: np.ndarray | None) -> np.ndarray:
    mask = ~np.isnan(y)
    if domain is not None:
        mask &= np.asarray(domain, dtype=bool)
    return mask


def _srs_variance(z: np.ndarray, w: np.ndarray, mask: np.ndarray, mode: str, scale: float) -> float:
    """R's ``deff`` denominator: svyvar / n (``replace``) or with (1 - n/N̂)."""
    if mode not in DEFF_MODES:
        raise ValueError(f"deff mode must be one of {DEFF_MODES}, got {mode!r}")
    n = int(mask.sum())
    wm, zm = w[mask], z[mask]
    pop = wm.sum()
    svyvar = np.sum(wm * zm**2) / pop * n / (n - 1) if n > 1 else np.nan
    vsrs = svyvar / n * scale**2
    if mode == "without":
        vsrs *= (pop - n) / pop
    return vsrs


def survey_total(
    y: np.ndarray, design: Design, *, domain: np.ndarray | None = None, deff: str = "replace"
) -> Estimate:
    """Estimated population total of ``y`` over a domain.

    Parameters
    ----------
    y : ndarray
        Values; NaN is treated as outside the domain.
    design : Design
    domain : ndarray of bool, optional
    deff : {'replace', 'without'}
        SRS variance with or without replacement for the design effect.
    """
    y = np.asarray(y, dtype=float)
    mask = _domain_mask(design, y, domain)
    if not mask.any():  # an empty domain's total is 0, exactly (nobody to vary)
        return Estimate(0.0, 0.0, np.nan, 0)
    w = design.weights
    yz = np.where(mask, y, 0.0)
    est = float(np.sum(w * yz))
    var = float(taylor_variance(w * yz, design))
    mean = est / w[mask].sum()
    vsrs = _srs_variance(y - mean, w, mask, deff, w[mask].sum())
    return Estimate(est, float(np.sqrt(var)), var / vsrs, int(mask.sum()))


def survey_ratio(
    num: np.ndarray,
    den: np.ndarray,
    design: Design,
    *,
    domain: np.ndarray | None = None,
    deff: str = "replace",
) -> Estimate:
    """Ratio of two totals, Σ w y / Σ w x, with linearized SE.

    The influence of row i is (y_i - R x_i) / X̂.  A mean is the ratio with
    ``den`` equal to one.
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    mask = _domain_mask(design, num, domain) & ~np.isnan(den)
    if not mask.any():  # nobody in the domain answered: no estimate, not a crash
        return Estimate(np.nan, np.nan, np.nan, 0)
    w = design.weights
    yz, xz = np.where(mask, num, 0.0), np.where(mask, den, 0.0)
    tx = float(np.sum(w * xz))
    ratio = float(np.sum(w * yz)) / tx
    z = (yz - ratio * xz) / tx
    var = float(taylor_variance(w * z, design))
    xbar = tx / w[mask].sum()
    vsrs = _srs_variance((num - ratio * den) / xbar, w, mask, deff, 1.0)
    return Estimate(ratio, float(np.sqrt(var)), var / vsrs, int(mask.sum()))


def survey_mean(
    y: np.ndarray, design: Design, *, domain: np.ndarray | None = None, deff: str = "replace"
) -> Estimate:
    """Domain mean of ``y`` (a ratio estimator with denominator one)."""
    y = np.asarray(y, dtype=float)
    return survey_ratio(y, np.ones_like(y), design, domain=domain, deff=deff)
