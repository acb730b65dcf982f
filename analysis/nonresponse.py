"""Nonresponse: a weighting-class adjustment on response cells and the R-indicator.

Both work on counts per cell (issued and completed invitations per agency × channel [× week]):
nothing per person is needed, so the application passes grouped counts from one SQL query.

Weighting-class adjustment [1]_: in cell c (agency × invitation channel) every respondent's
weight is multiplied by f_c = issued_c / completed_c (the inverse of the cell's response rate);
respondents outside every cell (kiosk, paper: no invitation) keep f = 1. The adjusted weights are
then scaled within each design stratum h so that the stratum keeps its total Σ_h d (N_h where the
frame counts it):  w_i = d_i f_c · Σ_{j∈h} d_j / Σ_{j∈h} d_j f_j.  When the cells nest in the strata
and every respondent of h has an invitation this is exactly  N_h / issued_h × issued_c / completed_c,
the textbook adjustment of a base weight of the issued sample; raking (if any) follows.

R-indicator [2]_: R = 1 − 2·S(ρ̂), where ρ̂ are response propensities estimated by a logit model of
answered ~ frame variables over the issued invitations and S their standard deviation over those
invitations (divisor N − 1, as R's ``sd``). R = 1: everyone equally likely to answer
(representative response); lower values: the answering group differs from the invited one on the
frame variables.

References
----------
.. [1] Kalton, G. & Flores-Cervantes, I. (2003). Weighting methods. *J. Official Statistics* 19, 81-97.
.. [2] Schouten, B., Cobben, F. & Bethlehem, J. (2009). Indicators for the representativeness of
   survey response. *Survey Methodology* 35, 101-113.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


def factors(issued: np.ndarray | Sequence[float], completed: np.ndarray | Sequence[float]) -> np.ndarray:
    """issued_c / completed_c per cell; 1 where nothing was completed or nothing issued (no
    respondent to carry the weight, or a count the funnel does not know)."""
    issued = np.asarray(issued, dtype=float)
    completed = np.asarray(completed, dtype=float)
    ok = (completed > 0) & (issued > 0)
    out = np.ones(len(issued))
    out[ok] = issued[ok] / completed[ok]
    return out


def adjust(weight: np.ndarray, count: np.ndarray, stratum: Sequence, factor: np.ndarray) -> np.ndarray:
    """Adjusted per-row weights (rows: respondents, or cells of ``count`` respondents sharing a
    weight): ``weight`` × ``factor``, scaled within each ``stratum`` to keep Σ count·weight."""
    weight = np.asarray(weight, dtype=float)
    count = np.asarray(count, dtype=float)
    factor = np.asarray(factor, dtype=float)
    if not (len(weight) == len(count) == len(factor) == len(stratum)):
        raise ValueError("weight, count, stratum and factor must have one value per row")
    if np.any(factor <= 0) or not np.all(np.isfinite(factor)):
        raise ValueError("adjustment factors must be positive and finite")
    codes, uniques = pd.factorize(pd.Series(list(stratum), dtype=object))
    before = np.bincount(codes, count * weight, len(uniques))
    after = np.bincount(codes, count * weight * factor, len(uniques))
    scale = np.divide(before, after, out=np.ones(len(uniques)), where=after > 0)
    return weight * factor * scale[codes]


@dataclass(frozen=True)
class Representativeness:
    """The R-indicator and what it was computed from."""

    r: float | None  # None: nothing issued, or a model that cannot be fitted
    sd: float | None  # S(ρ̂) over issued invitations
    mean: float | None  # mean propensity (= the response rate, completed / issued)
    variables: tuple[str, ...]  # the frame variables the model used (those with 2+ levels)
    issued: int
    completed: int
    propensity: np.ndarray  # per cell of the input, ρ̂


def r_indicator(cells: pd.DataFrame, variables: Sequence[str], issued: str = "issued",
                completed: str = "completed") -> Representativeness:
    """R = 1 − 2·S(ρ̂) from grouped counts: ``cells`` has one row per combination of the frame
    ``variables`` (categorical) with its issued and completed invitations. The logit model
    answered ~ variables (main effects, dummy coded) is fitted by maximum likelihood as a binomial
    GLM on the grouped counts (the same estimates as on one row per invitation)."""
    import statsmodels.api as sm  # slow to import: only the methodology page fits the model

    n = cells[issued].to_numpy(dtype=float)
    k = cells[completed].to_numpy(dtype=float)
    if np.any(k > n) or np.any(k < 0):
        raise ValueError(f"'{completed}' must lie between 0 and '{issued}' in every cell")
    keep = n > 0
    data, n, k = cells[keep].reset_index(drop=True), n[keep], k[keep]
    total, answered = int(n.sum()), int(k.sum())
    empty = Representativeness(None, None, None, (), total, answered, np.full(len(cells), np.nan))
    if total < 2:
        return empty
    used = tuple(v for v in variables if data[v].astype(str).nunique() > 1)
    if used:
        design = pd.get_dummies(data[list(used)].astype(str), drop_first=True, dtype=float)
        design.insert(0, "const", 1.0)
    else:
        design = pd.DataFrame({"const": np.ones(len(data))})
    if 0 < answered < total:
        try:
            with warnings.catch_warnings():  # a saturated model or a cell where nobody answered:
                warnings.simplefilter("ignore")  # the fitted propensities are still the MLE's
                fit = sm.GLM(np.column_stack([k, n - k]), design.to_numpy(), family=sm.families.Binomial()).fit()
            rho = np.asarray(fit.predict(design.to_numpy()), dtype=float)
        except (np.linalg.LinAlgError, ValueError):
            return empty
    else:  # nobody or everybody answered: every propensity is the response rate
        rho = np.full(len(data), answered / total)
    mean = float((n * rho).sum() / total)
    sd = float(np.sqrt((n * (rho - mean) ** 2).sum() / (total - 1)))
    out = np.full(len(cells), np.nan)
    out[np.flatnonzero(keep)] = rho
    return Representativeness(1.0 - 2.0 * sd, sd, mean, used, total, answered, out)
