"""SIPAS-specific figures, each with its standard error and interval.

* apology rate: share receiving an apology letter among respondents whose
  result was late (a domain ratio);
* expectation shares: share choosing the top level(s) per priority area;
* Decision 766 per-case figure: 100% - (% overdue + % with a complaint or a
  negative rating), estimated as 2R - 1 with R the pooled rate of two per-case
  items (see :func:`decision766`); a case both overdue and complained about
  counts twice, as in the decision's formula, so this is *not* the share of
  cases with neither, and the linearized SE covers the correlation of the two
  terms.

References
----------
.. [1] Bộ Nội vụ (2017). Quyết định 2640/QĐ-BNV phê duyệt Đề án đo lường sự hài
   lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà
   nước giai đoạn 2017-2020.
.. [2] Thủ tướng Chính phủ (2022). Quyết định 766/QĐ-TTg về Bộ chỉ số chỉ đạo,
   điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.prepare import distinct
from analysis.rates import compute_rates

_DESIGN = ("weight", "strata", "psu", "fpc", "margins", "ci", "level")


def _indicator(frame: pd.DataFrame, col: str, values: Sequence[object]) -> pd.Series:
    """2 where the answer is one of ``values`` (as given or as text), 1 where it is another
    answer, NaN where it is blank; worked out once per distinct answer when possible."""
    if col not in frame.columns:
        raise ValueError(f"unknown column {col!r}: not a column of the data")
    s = frame[col]
    found = distinct(s)
    if found is None:
        return pd.Series(_coded(s, values), index=frame.index)
    c, answers = found
    return pd.Series(_coded(answers, values)[c], index=frame.index)


def _coded(s: pd.Series, values: Sequence[object]) -> np.ndarray:
    blank = s.isna() | (s.astype(str).str.strip() == "")
    hit = s.isin(list(values)) | s.astype(str).isin([str(v) for v in values])
    return np.where(blank, np.nan, hit.astype(float) + 1.0)


def _as_rate(frame: pd.DataFrame, name: str, indicator: pd.Series, by, **design) -> pd.DataFrame:
    extra = {k: v for k, v in design.items() if k in _DESIGN}
    data = frame.copy(deep=False)  # adds the column without copying the wave's other columns
    data[name] = indicator
    return compute_rates(data, [name], by=by, satisfied=(2,), **extra)


def apology_rate(
    frame: pd.DataFrame,
    *,
    late: str,
    apology: str,
    late_values: Sequence[object] = (1, "yes", True),
    apology_values: Sequence[object] = (1, "yes", True),
    by: Sequence[str] | None = None,
    **design: object,
) -> pd.DataFrame:
    """Share of late respondents who received an apology letter.

    A domain estimate over respondents whose ``late`` answer is in
    ``late_values`` (SIPAS.md: letters received / respondents whose result was
    late).  Design keywords are those of ``compute_rates``.
    """
    is_late = _indicator(frame, late, late_values) == 2
    got = _indicator(frame, apology, apology_values).where(is_late)
    return _as_rate(frame, "apology", got, by, **design)


def expectation_shares(
    frame: pd.DataFrame,
    areas: Sequence[str],
    *,
    top: Sequence[object] = (3,),
    by: Sequence[str] | None = None,
    **design: object,
) -> pd.DataFrame:
    """Share of respondents choosing a ``top`` level for each priority area.

    With levels coded 1 Ít, 2 Nhiều, 3 Rất nhiều, ``top=(3,)`` gives the
    "Rất nhiều" share and ``top=(2, 3)`` "Rất nhiều + Nhiều".
    """
    extra = {k: v for k, v in design.items() if k in _DESIGN}
    return compute_rates(frame, list(areas), by=by, satisfied=tuple(top), **extra)


def decision766(
    frame: pd.DataFrame,
    *,
    overdue: str,
    complaint: str,
    rating: str | None = None,
    negative: Sequence[float] = (1, 2),
    by: Sequence[str] | None = None,
    **design: object,
) -> pd.DataFrame:
    """Decision 766 satisfaction figure per case, with its interval.

    F = 100% - (% overdue + % with a complaint or a negative rating), as a
    proportion.  Every case answers both per-case items, "not overdue" and "no
    complaint and no negative rating" (a complaint *or* a ``negative`` rating
    marks a case once), so their pooled rate is R = (a + b)/2 and F = 2R - 1
    exactly.  Hence SE(F) = 2·SE(R), with the design's linearization covering
    the correlation of the two terms, and F's interval is R's interval mapped
    by 2R - 1.  A case both overdue and complained about is subtracted twice,
    as the decision's formula does, so F is below the share of cases with
    neither and can be negative; ``n`` is the number of cases.  Flags are
    yes/1 columns; a blank flag counts as no.  Design keywords are those of
    ``compute_rates``.
    """
    ov = _indicator(frame, overdue, (1, "yes", True)) == 2
    bad = _indicator(frame, complaint, (1, "yes", True)) == 2
    if rating is not None:
        r = pd.to_numeric(frame[rating], errors="coerce")
        bad = bad | r.isin(list(negative))
    data = frame.copy(deep=False)  # as in _as_rate: new columns without copying the others
    data["_ontime"], data["_nocomplaint"] = np.where(ov, 1.0, 2.0), np.where(bad, 1.0, 2.0)
    extra = {k: v for k, v in design.items() if k in _DESIGN}
    rates = compute_rates(
        data, ["_ontime", "_nocomplaint"], factors={"decision766": ["_ontime", "_nocomplaint"]},
        by=by, satisfied=(2,), **extra,
    )
    return twice_less_one(rates[rates["measure"] == "decision766"].reset_index(drop=True))


def twice_less_one(rates: pd.DataFrame) -> pd.DataFrame:
    """Decision 766's F = 2R - 1 from the pooled rate R of its two per-case items (see
    :func:`decision766`): rate and interval mapped, SE doubled."""
    out = rates.copy()
    out["rate"] = 2 * out["rate"] - 1
    out["se"] = 2 * out["se"]
    out["ci_lower"] = 2 * out["ci_lower"] - 1
    out["ci_upper"] = 2 * out["ci_upper"] - 1
    return out
