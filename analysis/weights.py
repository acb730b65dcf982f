"""Design weights, post-stratification, raking, trimming and Kish's n_eff.

References
----------
.. [1] Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of
   a sampled frequency table when the expected marginal totals are known.
   *Ann. Math. Statist.* 11, 427-444. (iterative proportional fitting)
.. [2] Kish, L. (1965). *Survey Sampling*. Wiley. (effective sample size)
.. [3] Lumley, T. (2010). *Complex Surveys*. Wiley, Ch. 7 (postStratify, rake,
   trimWeights).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.labels import nfc, nfc_column


@dataclass(frozen=True)
class RakeResult:
    """Raked weights and a convergence report."""

    weights: np.ndarray
    converged: bool
    iterations: int
    max_error: float
    factors: tuple[np.ndarray, ...]
    variables: tuple[str, ...]


def _text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def label_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes and string labels (integers without a decimal point); blank is -1."""
    codes, uniq = pd.factorize(pd.Series(values), use_na_sentinel=True)
    return codes.astype(np.int64), [_text(u) for u in uniq]


def labels(values: pd.Series) -> pd.Series:
    """Category labels as strings, integers written without a decimal point."""
    s = pd.Series(values)
    codes, uniq = label_codes(s)
    text = np.array([*uniq, ""], dtype=object)
    return pd.Series(text[codes], index=s.index)


def kish_n_eff(w: Sequence[float] | np.ndarray) -> float:
    """Kish effective sample size (Σw)² / Σw² [2]_."""
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2)) if w.size else 0.0


def kish_deff(w: Sequence[float] | np.ndarray) -> float:
    """Kish design effect due to unequal weighting, n Σw² / (Σw)²."""
    w = np.asarray(w, dtype=float)
    return float(w.size / kish_n_eff(w))


def design_weights(strata_labels: Sequence[object], frame_counts: Mapping) -> np.ndarray:
    """Weights N_h / n_h from frame counts per stratum.

    Raises
    ------
    ValueError
        When a sampled stratum has no frame count or fewer units than responses.
    """
    lab = labels(pd.Series(list(strata_labels)))
    counts = {labels(pd.Series([k])).iloc[0]: float(v) for k, v in frame_counts.items()}
    n_h = lab.value_counts()
    missing = sorted(set(n_h.index) - set(counts))
    if missing:
        raise ValueError(f"no frame count for stratum {missing[0]!r}")
    small = [h for h in n_h.index if counts[h] < n_h[h]]
    if small:
        h = small[0]
        raise ValueError(f"stratum {h!r}: frame count {counts[h]:g} < {n_h[h]} responses")
    return lab.map(lambda h: counts[h] / n_h[h]).to_numpy(dtype=float)


def post_stratify(
    w: np.ndarray, strata_labels: Sequence[object], totals: Mapping
) -> np.ndarray:
    """Scale the weights so that each post-stratum sums to its population total."""
    margins = pd.DataFrame(
        {"variable": "_ps", "category": list(totals), "total": list(totals.values())}
    )
    frame = pd.DataFrame({"_ps": list(strata_labels), "_w": w})
    return rake(frame, "_w", margins).weights


def trim_weights(
    w: np.ndarray, upper: float, *, lower: float | None = None, max_iter: int = 50
) -> np.ndarray:
    """Cap weights at ``upper`` (and floor at ``lower``), redistributing the
    excess proportionally over the other weights so the total is unchanged [3]_."""
    w = np.asarray(w, dtype=float).copy()
    total = w.sum()
    lo = -np.inf if lower is None else lower
    if upper * w.size < total:
        raise ValueError(f"cannot trim to {upper:g}: the weights sum to {total:g}")
    for _ in range(max_iter):
        fixed = (w >= upper) | (w <= lo)
        w = np.clip(w, lo, upper)
        free = ~fixed
        excess = total - w.sum()
        if abs(excess) <= 1e-12 * total or not free.any():
            break
        w[free] *= 1 + excess / w[free].sum()
    return w


def _validate_margins(frame: pd.DataFrame, margins: pd.DataFrame) -> list[tuple]:
    missing = {"variable", "category", "total"} - set(margins.columns)
    if missing:
        raise ValueError(f"margins need columns variable,category,total; missing {sorted(missing)}")
    totals = pd.to_numeric(margins["total"], errors="coerce")
    if totals.isna().any() or (totals < 0).any():
        bad = margins.loc[totals.isna() | (totals < 0)].iloc[0]
        raise ValueError(f"margin total for {bad['variable']}={bad['category']} is not a number >= 0")
    out, grand = [], None
    margins = margins.assign(total=totals, variable=nfc_column(margins["variable"]),
                             category=nfc_column(margins["category"]))
    columns = {nfc(c): c for c in frame.columns}  # (renaming the frame would copy it)
    for var, block in margins.groupby("variable", sort=False):
        if var not in columns:
            raise ValueError(f"margin variable {var!r} is not a column of the data")
        cats = labels(block["category"]).tolist()
        if len(set(cats)) != len(cats):
            raise ValueError(f"margin variable {var!r} repeats a category")
        tot = float(block["total"].sum())
        if grand is None:
            grand = (var, tot)
        elif not np.isclose(tot, grand[1], rtol=1e-6):
            raise ValueError(
                f"margins disagree on the population total: {grand[0]} sums to "
                f"{grand[1]:g}, {var} to {tot:g}"
            )
        raw, uniq = label_codes(nfc_column(frame[columns[var]]))
        if (raw < 0).any():
            raise ValueError(f"{var}: a respondent has no value (blank) and no margin")
        position = {c: i for i, c in enumerate(cats)}
        unknown = sorted(u for u in uniq if u not in position)
        if unknown:
            raise ValueError(f"{var}: category {unknown[0]!r} in the data has no margin")
        code = np.array([position[u] for u in uniq], dtype=np.int64)[raw]
        present = np.bincount(code, minlength=len(cats))
        empty = [c for c, k, t in zip(cats, present, block["total"]) if k == 0 and t > 0]
        if empty:
            raise ValueError(f"{var}: category {empty[0]!r} has a margin but no respondents")
        # a total of 0 would silently give its respondents weight 0 (R's postStratify and rake refuse
        # it: "Strata in sample absent from population")
        zero = [(c, k) for c, k, t in zip(cats, present, block["total"]) if k > 0 and t == 0]
        if zero:
            c, k = zero[0]
            raise ValueError(
                f"{var}: category {c!r} has a margin total of 0 but {k} respondent"
                f"{'s' if k > 1 else ''} in the sample"
            )
        out.append((var, code, block["total"].to_numpy(dtype=float)))
    return out


def rake_codes(
    w: np.ndarray,
    factors: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    trim_upper: float | None = None,
) -> tuple[np.ndarray, bool, int, float]:
    """Iterative proportional fitting on integer-coded factors [1]_.

    Returns weights, converged flag, iterations used and the largest relative
    margin error.
    """
    w = np.asarray(w, dtype=float).copy()
    err = np.inf
    for it in range(1, max_iter + 1):
        for code, target in zip(factors, targets):
            current = np.bincount(code, w, minlength=target.size)
            ratio = np.divide(target, current, out=np.zeros_like(target), where=current > 0)
            w *= ratio[code]
        if trim_upper is not None:
            w = np.minimum(w, trim_upper)
        err = max(
            float(np.max(np.abs(np.bincount(c, w, minlength=t.size) - t) / np.maximum(t, 1e-300)))
            for c, t in zip(factors, targets)
        )
        over = trim_upper is not None and w.max() > trim_upper * (1 + tol)
        if err < tol and not over:
            return w, True, it, err
    return w, False, max_iter, err


def rake(
    frame: pd.DataFrame,
    weight_col: str | None,
    margins_df: pd.DataFrame,
    *,
    max_iter: int = 100,
    tol: float = 1e-10,
    trim_upper: float | None = None,
) -> RakeResult:
    """Rake weights to population margins.

    Parameters
    ----------
    frame : DataFrame
        One row per respondent, holding the margin variables.
    weight_col : str or None
        Starting weights (design weights); ones when None.
    margins_df : DataFrame
        Columns ``variable``, ``category``, ``total``.
    max_iter, tol : int, float
        IPF stops when every margin is met to relative error ``tol``.
    trim_upper : float, optional
        Absolute cap on the weights, applied after each sweep (raking then
        redistributes what was cut).

    Raises
    ------
    ValueError
        When margins disagree on the total, name an unknown column, leave a
        data category without a margin, give a margin with no respondents, or
        a total of 0 to a category that has respondents.

    Notes
    -----
    The weights equal R's ``rake()`` and ``calibrate(calfun="raking")``.  The
    variance :mod:`analysis.rates` then computes equals
    ``calibrate(calfun="raking")``'s (exact regression residuals), not
    ``rake()``'s, which residualizes by 10 backfitting sweeps over the margins
    (SE 0.0648 against 0.0621 on tests/analysis/data/lonely.csv).  Labels are
    matched in Unicode NFC.
    """
    spec = _validate_margins(frame, margins_df)
    w0 = np.ones(len(frame)) if weight_col is None else frame[weight_col].to_numpy(dtype=float)
    factors = [c for _, c, _ in spec]
    w, ok, it, err = rake_codes(
        w0, factors, [t for _, _, t in spec], max_iter=max_iter, tol=tol, trim_upper=trim_upper
    )
    return RakeResult(w, ok, it, err, tuple(factors), tuple(v for v, _, _ in spec))
