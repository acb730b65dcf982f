"""Mean scores per domain (e.g. the average 1–5 rating of a criterion), with design-based SEs.

Each domain is estimated as a domain: rows outside it keep their PSU and stratum and contribute
zero, as R's ``svyby(~y, ~d, design, svymean, na.rm=TRUE)`` does.

References
----------
.. [1] Lumley, T. (2010). *Complex Surveys*, §2.4 (domain means as ratios).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analysis.design import make_design
from analysis.estimators import survey_mean
from analysis.prepare import numeric

COLUMNS = ["measure", "n", "mean", "se", "ci_lower", "ci_upper", "deff"]


def compute_means(
    frame: pd.DataFrame,
    items: Sequence[str],
    *,
    by: Sequence[str] | None = None,
    weight: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted mean of each item per domain, blank answers excluded (as domains).

    Parameters
    ----------
    frame : DataFrame
        One row per respondent; item columns numeric (NaN = not answered / not applicable).
    items : sequence of str
        Columns to average.
    by : sequence of str, optional
        Domain columns; omitted = the whole sample.
    weight, strata, psu, fpc : str, optional
        Design columns, as for :func:`analysis.rates.compute_rates`.
    level : float
        Confidence level of the t interval, df = #PSU − #strata among the
        PSUs and strata holding the domain.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``measure, n, mean, se, ci_lower, ci_upper, deff``;
        an item nobody in the domain answered has n = 0 and blank statistics.
    """
    missing = [c for c in [*items, *(by or []), weight, strata, psu, fpc] if c and c not in frame.columns]
    if missing:
        raise ValueError(f"unknown column {missing[0]!r}")
    design = make_design(
        None if weight is None else numeric(frame, weight, "weight column"),
        strata=None if strata is None else frame[strata].astype(str).to_numpy(),
        clusters=[] if psu is None else [frame[psu].astype(str).to_numpy()],
        fpc=[] if fpc is None else [numeric(frame, fpc, "fpc column")],
        n=len(frame),
    )
    psu, strata_codes = design.psu(), design.strata
    groups = [((), np.ones(len(frame), dtype=bool))] if not by else [
        (key if isinstance(key, tuple) else (key,), frame.index.isin(index))
        for key, index in frame.groupby(list(by), sort=True).groups.items()
    ]
    rows = []
    for key, mask in groups:
        # the domain's df: PSUs and strata holding its respondents (as analysis.rates, R's degf)
        df = len(np.unique(psu[mask])) - len(np.unique(strata_codes[mask]))
        t = stats.t.ppf(0.5 + level / 2, max(df, 1))
        for item in items:
            y = numeric(frame, item, "item column")
            est = survey_mean(y, design, domain=mask)
            rows.append([*key, item, est.n, est.estimate, est.se,
                         est.estimate - t * est.se, est.estimate + t * est.se, est.deff])
    return pd.DataFrame(rows, columns=[*(by or []), *COLUMNS])
