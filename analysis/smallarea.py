"""Small-area estimation: the Fay–Herriot area-level model and its EBLUP (issue 20).

Model (Fay & Herriot 1979; Rao & Molina 2015, ch. 6): for area i = 1..m,

    ŷᵢ = xᵢ'β + vᵢ + eᵢ,   vᵢ ~ N(0, σᵥ²),   eᵢ ~ N(0, ψᵢ) with ψᵢ known (the sampling variance).

σᵥ² is estimated by REML or ML (Fisher scoring, as R ``sae::eblupFH``) or by the Fay–Herriot
moment equation; β̂ is the GLS estimate at σ̂ᵥ². The EBLUP is γᵢŷᵢ + (1 − γᵢ)xᵢ'β̂ with
γᵢ = σ̂ᵥ²/(σ̂ᵥ² + ψᵢ): an area with a precise direct estimate keeps it, a noisy one is pulled toward
the regression on similar areas. Its MSE is the Prasad–Rao estimate g₁ + g₂ + 2g₃ (REML), with the
Datta–Lahiri bias term for ML and the Datta–Rao–Smith one for the moment estimator.

For a share satisfied, ``stabilise`` puts the rate on a variance-stabilised scale (logit or
arcsine-square-root) with sampling variances from a generalised variance function,
deff · p̄(1 − p̄)/n on the proportion scale, so that a unit with 100 % satisfied among 6 answers
still has a positive variance; ``unstabilise`` maps the estimates back.
Pure numpy/scipy: no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("reml", "ml", "fh")
TRANSFORMS = ("logit", "asin")


@dataclass(frozen=True)
class FayHerriot:
    """A fitted model: per-area arrays in the input's order, and the model's parameters."""

    direct: np.ndarray
    se: np.ndarray
    eb: np.ndarray
    mse: np.ndarray
    gamma: np.ndarray
    synthetic: np.ndarray  # xᵢ'β̂
    beta: np.ndarray
    beta_se: np.ndarray
    sigma2_v: float
    method: str
    iterations: int
    converged: bool


def _gls(y: np.ndarray, X: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """β̂ and (X'V⁻¹X)⁻¹ for V = diag(total)."""
    Xw = X / total[:, None]
    Q = np.linalg.inv(X.T @ Xw)
    return Q @ (Xw.T @ y), Q


def _reml_or_ml(y, X, psi, method, tol, max_iter):
    """Fisher scoring for σᵥ², as sae::eblupFH (start at the median of ψ), truncated at 0."""
    A = float(np.median(psi))
    for iteration in range(1, max_iter + 1):
        total = A + psi
        beta, Q = _gls(y, X, total)
        resid = y - X @ beta
        if method == "ml":
            score = -0.5 * np.sum(1.0 / total) + 0.5 * np.sum(resid ** 2 / total ** 2)
            info = 0.5 * np.sum(1.0 / total ** 2)
        else:
            Vinv = np.diag(1.0 / total)
            P = Vinv - (Vinv @ X) @ Q @ (X.T @ Vinv)
            Py = P @ y
            score = -0.5 * np.trace(P) + 0.5 * float(Py @ Py)
            info = 0.5 * float(np.sum(P * P.T))
        step = score / info
        new = max(A + step, 0.0)
        if abs(new - A) < tol * max(1.0, abs(A)):
            return new, iteration, True
        A = new
    return A, max_iter, False


def _moments(y, X, psi, tol):
    """The Fay–Herriot moment equation Σ (ŷ − x'β̂(A))²/(A + ψ) = m − p, solved for A ≥ 0."""
    from scipy.optimize import brentq  # heavy: only for --method fh

    m, p = X.shape

    def f(A):
        total = A + psi
        beta, _Q = _gls(y, X, total)
        return float(np.sum((y - X @ beta) ** 2 / total)) - (m - p)

    if f(0.0) <= 0:
        return 0.0, 1, True
    upper = float(np.var(y)) + float(np.max(psi)) + 1.0
    while f(upper) > 0:
        upper *= 2
    return float(brentq(f, 0.0, upper, xtol=tol * 1e-3, rtol=1e-14)), 1, True


def fay_herriot(direct, se, covariates=None, *, method: str = "reml", tol: float = 1e-10,
                max_iter: int = 200) -> FayHerriot:
    """Fit the model to direct estimates ``direct`` with standard errors ``se`` (ψ = se²) and
    optional ``covariates`` (m × k, an intercept is always added)."""
    y = np.asarray(direct, dtype=float)
    s = np.asarray(se, dtype=float)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError("direct and se must be two columns of the same length")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(s))):
        raise ValueError("direct estimates and standard errors must be finite numbers")
    if np.any(s <= 0):
        raise ValueError("every standard error must be positive (smooth the variances of 0 % "
                         "or 100 % areas first)")
    m = len(y)
    Z = np.ones((m, 1)) if covariates is None else np.column_stack([np.ones(m), np.asarray(covariates, dtype=float)])
    if not np.all(np.isfinite(Z)):
        raise ValueError("covariates must be finite numbers")
    if m <= Z.shape[1]:
        raise ValueError(f"{m} areas cannot fit {Z.shape[1]} coefficients: more areas are needed")
    if np.linalg.matrix_rank(Z) < Z.shape[1]:
        raise ValueError("the covariates are collinear (or constant): drop one")
    psi = s ** 2
    if method == "fh":
        A, iterations, converged = _moments(y, Z, psi, tol)
    else:
        A, iterations, converged = _reml_or_ml(y, Z, psi, method, tol, max_iter)
    total = A + psi
    beta, Q = _gls(y, Z, total)
    synthetic = Z @ beta
    gamma = A / total
    eb = gamma * y + (1 - gamma) * synthetic
    return FayHerriot(direct=y, se=s, eb=eb, mse=_mse(Z, psi, A, Q, method), gamma=gamma,
                      synthetic=synthetic, beta=beta, beta_se=np.sqrt(np.diag(Q)), sigma2_v=A,
                      method=method, iterations=iterations, converged=converged)


def _mse(X, psi, A, Q, method):
    """Prasad–Rao (REML), Datta–Lahiri (ML), Datta–Rao–Smith (moments) MSE estimates, as sae::mseFH."""
    total = A + psi
    m = len(psi)
    g1 = A * psi / total
    g2 = (psi / total) ** 2 * np.einsum("ij,jk,ik->i", X, Q, X)
    if method == "fh":
        s1 = np.sum(1.0 / total)
        var_a = 2.0 * m / s1 ** 2
        bias = 2.0 * (m * np.sum(1.0 / total ** 2) - s1 ** 2) / s1 ** 3
    else:
        var_a = 2.0 / np.sum(1.0 / total ** 2)
        bias = 0.0
        if method == "ml":
            bias = -np.trace(Q @ ((X / total[:, None] ** 2).T @ X)) / np.sum(1.0 / total ** 2)
    g3 = psi ** 2 * var_a / total ** 3
    return g1 + g2 + 2 * g3 - (psi / total) ** 2 * bias


def stabilise(rate, n, *, transform: str = "asin", deff=1.0, pbar: float | None = None):
    """(estimate, se) on a variance-stabilised scale for shares ``rate`` among ``n`` answers.

    The sampling variance comes from a generalised variance function, deff · p̄(1 − p̄)/n with p̄
    the areas' mean share (weighted by n) unless given, carried to the scale by the delta method:
    arcsine-square-root 1/(4 n/deff) (free of p), logit deff/(n p̄(1 − p̄)). Shares of exactly 0 or
    1 are moved to 1/(2n) from the edge before a logit (an empirical-logit correction).
    """
    p = np.asarray(rate, dtype=float)
    size = np.asarray(n, dtype=float)
    d = np.broadcast_to(np.asarray(deff, dtype=float), p.shape)
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
    if np.any(size <= 0) or np.any((p < 0) | (p > 1)):
        raise ValueError("shares must lie in [0, 1] and sizes be positive")
    if transform == "asin":
        return np.arcsin(np.sqrt(p)), np.sqrt(d / (4 * size))
    centre = float(np.sum(p * size) / np.sum(size)) if pbar is None else float(pbar)
    centre = min(max(centre, 1e-6), 1 - 1e-6)
    edge = 1 / (2 * size)
    q = np.clip(p, edge, 1 - edge)
    return np.log(q / (1 - q)), np.sqrt(d / (size * centre * (1 - centre)))


def unstabilise(value, transform: str = "asin"):
    """A share from the stabilised scale (estimates, or the ends of an interval)."""
    v = np.asarray(value, dtype=float)
    if transform == "asin":
        return np.sin(np.clip(v, 0.0, np.pi / 2)) ** 2
    if transform == "logit":
        return 1.0 / (1.0 + np.exp(-v))
    raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")


def eb_ranks(eb, mse, *, n_sim: int = 2000, seed: int = 20240601, level: float = 0.95):
    """Ranks (1 = highest) of the EB estimates and their intervals, from draws N(eb, mse) on the
    model's scale (a monotone transform keeps the order): (rank, lower, upper)."""
    from scipy import stats  # heavy: scipy.stats, only for ranks

    eb, mse = np.asarray(eb, dtype=float), np.asarray(mse, dtype=float)
    rng = np.random.default_rng(seed)
    draws = eb + np.sqrt(mse) * rng.standard_normal((n_sim, eb.size))
    sims = stats.rankdata(-draws, method="min", axis=1)
    rank = stats.rankdata(-eb, method="min")
    alpha = 1 - level
    lower = np.minimum(np.floor(np.quantile(sims, alpha / 2, axis=0)), rank)
    upper = np.maximum(np.ceil(np.quantile(sims, 1 - alpha / 2, axis=0)), rank)
    return rank.astype(int), lower.astype(int), upper.astype(int)


def design_effect(rate, se, n) -> float:
    """The median design effect se²·n / (p(1 − p)) over areas with 0 < p < 1 (1 when none),
    kept within [0.05, 5] (below 1 for a rate pooled over several answers of each respondent): the GVF's deff."""
    p, s, size = (np.asarray(v, dtype=float) for v in (rate, se, n))
    ok = (p > 0) & (p < 1) & np.isfinite(s) & (s > 0) & (size > 0)
    if not ok.any():
        return 1.0
    return float(np.clip(np.median(s[ok] ** 2 * size[ok] / (p[ok] * (1 - p[ok]))), 0.05, 5.0))
