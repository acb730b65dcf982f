"""Replicate-weight variance: delete-one-PSU jackknife (JK1) and bootstrap.

References
----------
.. [1] Wolter, K. M. (2007). *Introduction to Variance Estimation*, 2nd ed.
   Springer. Ch. 4 (jackknife) and 5 (bootstrap).
.. [2] Rao, J. N. K. & Wu, C. F. J. (1988). Resampling inference with complex
   survey data. *JASA* 83, 231-241.
.. [3] Lumley, T. (2010). *Complex Surveys*. Wiley, Sec. 2.4
   (``as.svrepdesign``, ``survey.replicates.mse``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.design import Design


@dataclass(frozen=True)
class Replicates:
    """Replicate weights (n x R) with their variance multipliers."""

    weights: np.ndarray
    scale: float
    rscales: np.ndarray


def jk1(design: Design) -> Replicates:
    """Delete-one-PSU jackknife for an unstratified design.

    Replicate r zeroes PSU r and multiplies the others by n/(n-1); the scale is
    (n-1)/n, times (1 - f) when the design has a first-stage fpc (as
    ``as.svrepdesign`` does).
    """
    if len(np.unique(design.strata)) > 1:
        raise ValueError("JK1 needs an unstratified design; use bootstrap replicates")
    psu = design.psu()
    n_psu = int(psu.max()) + 1
    drop = psu[:, None] == np.arange(n_psu)[None, :]
    reps = np.where(drop, 0.0, design.weights[:, None] * n_psu / (n_psu - 1))
    f = design.fractions[0][0] if design.fractions else 0.0
    return Replicates(reps, (n_psu - 1) / n_psu, np.full(n_psu, 1 - f))


def bootstrap(design: Design, n_rep: int, seed: int) -> Replicates:
    """Rao-Wu rescaling bootstrap [2]_: n_h - 1 PSUs drawn with replacement
    in each stratum, weights multiplied by n_h / (n_h - 1) times the count."""
    rng = np.random.default_rng(seed)
    psu = design.psu()
    first = np.unique(psu, return_index=True)[1]
    st = design.strata[first]
    n_h = np.bincount(st).astype(float)
    order = np.argsort(st, kind="stable")
    start = np.concatenate([[0], np.cumsum(n_h)[:-1]]).astype(int)
    rank = np.empty(st.size, dtype=int)
    rank[order] = np.arange(st.size) - start[st[order]]
    slot = rank < n_h[st] - 1  # n_h - 1 draws per stratum
    reps = np.empty((design.n, n_rep))
    for r in range(n_rep):  # loop over replicates, vectorised over rows
        pick = (rng.random(st.size) * n_h[st]).astype(int)
        draws = order[start[st] + pick][slot]
        counts = np.bincount(draws, minlength=st.size)
        adj = n_h[st] / np.maximum(n_h[st] - 1, 1) * counts
        reps[:, r] = design.weights * adj[psu]
    return Replicates(reps, 1.0 / (n_rep - 1), np.ones(n_rep))


def replicate_variance(
    estimator: Callable[[np.ndarray], float],
    full_weights: np.ndarray,
    reps: Replicates,
    *,
    mse: bool = False,
) -> tuple[float, float]:
    """Estimate and replicate variance of ``estimator(weights)``.

    The variance is scale · Σ_r rscale_r (θ_r - c)², with c the mean of the
    replicates, or the full-sample estimate when ``mse`` is true.
    """
    theta = estimator(full_weights)
    thetas = np.array([estimator(reps.weights[:, r]) for r in range(reps.weights.shape[1])])
    centre = theta if mse else thetas.mean()
    return theta, float(reps.scale * np.sum(reps.rscales * (thetas - centre) ** 2))
