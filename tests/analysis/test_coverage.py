"""Small domains (issue 13 item 1): exact coverage by enumeration, and R's values.

For n = 1..20 equally weighted respondents (simple random sample, one stratum, each respondent
its own PSU) every outcome x = 0..n goes through ``compute_rates``; the coverage at a true rate
π is Σ_x P(x | n, π) · [π in the interval for x], on a grid of 1,999 rates in (0, 1).

What each method claims (documented in ``analysis.intervals.proportion_ci``):
  * ``kg`` (Korn-Graubard; Clopper-Pearson on Kish's n_eff at 0 %, 100 % or SE 0): at least
    the nominal 95 % at *every* true rate, for every n;
  * ``logit``, ``wilson``, ``wald``: the nominal level *on average* over the true rate (uniform),
    not at every rate (their coverage oscillates below it, Brown, Cai & DasGupta 2001).

Measured (``python -m pytest tests/analysis/test_coverage.py``; min / mean over π), 2026-12:
  n        1     2     3     4     5     6     7     8     9    10
  kg   min .975  .975  .975  .975  .975  .966  .973  .970  .966  .963
  kg  mean .999  .997  .996  .995  .994  .993  .992  .990  .989  .988
  n       11    12    13    14    15    16    17    18    19    20
  kg   min .959  .965  .970  .969  .965  .962  .959  .964  .963  .959
  kg  mean .987  .986  .985  .984  .984  .983  .982  .982  .981  .980
  logit min .975 .975 .975 .975 .963 .947 .935 .930 .922 .918 .910 .908 .907 .906 .900 .901
            .895 .897 .892 .896;  mean .999 ... .976 (n = 20)
  wilson min .975 .975 .967 .938 .916 .902 .893 .886 .881 .877 .871 .870 .866 .869 .867 .865
            .865 .858 .858 .860;  mean .999 ... .968
  wald  min .975 .975 .975 .975 .975 .957 .875 .902 .884 .870 .859 .866 .864 .864 .864 .863
            .863 .863 .862 .866;  mean .999 ... .955
Before the fix the coverage at n = 1 was 0 for every method (one satisfied respondent gave
[0.915, 1]).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.intervals import proportion_ci
from analysis.rates import compute_rates

N_MAX = 20
GRID = np.linspace(0.0005, 0.9995, 1999)


def _intervals(method: str) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Every (n, x) as one domain; strata = domain keeps each domain a simple random sample."""
    rows = []
    for n in range(1, N_MAX + 1):
        for x in range(n + 1):
            rows += [(f"{n}/{x}", 5.0)] * x + [(f"{n}/{x}", 1.0)] * (n - x)
    frame = pd.DataFrame(rows, columns=["d", "q"])
    out = compute_rates(frame, ["q"], by=["d"], strata="d", ci=method).set_index("d")
    return {n: (out.loc[[f"{n}/{x}" for x in range(n + 1)], "ci_lower"].to_numpy(),
                out.loc[[f"{n}/{x}" for x in range(n + 1)], "ci_upper"].to_numpy())
            for n in range(1, N_MAX + 1)}


@cache  # each method's table is enumerated once per session
def coverage(method: str) -> dict[int, np.ndarray]:
    """Exact coverage at each rate of GRID, per n."""
    out = {}
    for n, (lo, hi) in _intervals(method).items():
        pmf = stats.binom.pmf(np.arange(n + 1)[:, None], n, GRID[None, :])
        out[n] = (pmf * ((lo[:, None] <= GRID) & (GRID <= hi[:, None]))).sum(axis=0)
    return out


def test_a_domain_is_the_same_as_a_sample_of_its_own():
    alone = compute_rates(pd.DataFrame({"q": [5.0, 1.0, 1.0]}), ["q"], ci="kg").iloc[0]
    lo, hi = _intervals("kg")[3]
    assert (lo[1], hi[1]) == pytest.approx((alone["ci_lower"], alone["ci_upper"]), abs=1e-12)


def test_kg_covers_at_least_95_percent_at_every_rate_for_n_1_to_20():
    worst = {n: float(c.min()) for n, c in coverage("kg").items()}
    assert min(worst.values()) >= 0.95, worst


@pytest.mark.parametrize("method", ["logit", "wilson", "wald"])
def test_other_methods_cover_at_least_93_percent_on_average(method):
    mean = {n: float(c.mean()) for n, c in coverage(method).items()}
    assert min(mean.values()) >= 0.93, mean


@pytest.mark.parametrize("method", ["logit", "kg", "wilson", "wald"])
def test_no_method_fails_a_single_respondent(method):
    """n = 1 used to give [0.915, 1] for one satisfied respondent (coverage 0)."""
    worst = coverage(method)[1].min()
    assert worst >= 0.95
    one = compute_rates(pd.DataFrame({"q": [5.0]}), ["q"], ci=method).iloc[0]
    assert (one["ci_lower"], one["ci_upper"]) == pytest.approx((0.025, 1.0))
    none = compute_rates(pd.DataFrame({"q": [2.0]}), ["q"], ci=method).iloc[0]
    assert (none["ci_lower"], none["ci_upper"]) == pytest.approx((0.0, 0.975))


# R 4.1.1, survey 4.1.1 (R's svyglm logit converges to ~1e-9): d <- data.frame(y = c(rep(1, x), rep(0, n - x)));
# des <- svydesign(ids=~1, data=d, weights=~rep(1, n)); attr(svyciprop(~y, des, method=m), "ci")
R_SMALL = {
    (2, 1, "kg"): (0.000385580980755901, 0.999614419019244),  # was [0.342, 0.658]
    (3, 1, "kg"): (0.00155928357128821, 0.960078482295832),
    (3, 1, "logit"): (0.00078650373359753, 0.996861390649529),
    (5, 2, "kg"): (0.0349722802323778, 0.889549076596206),
    (5, 2, "logit"): (0.0377182753155209, 0.918954978578728),
    (20, 19, "kg"): (0.74352288275492, 0.99893021879998),
    (20, 19, "logit"): (0.677270397460097, 0.994220387016014),
}


@pytest.mark.parametrize("n,x,method", list(R_SMALL))
def test_small_samples_match_r_svyciprop(n, x, method):
    row = compute_rates(pd.DataFrame({"q": [5.0] * x + [1.0] * (n - x)}), ["q"], ci=method).iloc[0]
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx(R_SMALL[(n, x, method)], abs=1e-6)


def test_df_ratio_never_grows_the_effective_n():
    """A wave's large df with a domain's small n used to multiply n_eff by (t_{n-1}/t_df)² > 1."""
    lo, hi = proportion_ci(0.5, 0.5, df=400, n=2, n_eff=2, method="kg")
    cp = proportion_ci(0.5, 0.5, df=1, n=2, n_eff=2, method="kg")
    assert lo <= cp[0] + 1e-12 and hi >= cp[1] - 1e-12
    assert lo < 0.01 and hi > 0.99


@pytest.mark.parametrize("method", ["logit", "kg", "wilson", "wald"])
def test_se_zero_inside_zero_one_falls_back_to_clopper_pearson_on_kish(method):
    lo, hi = proportion_ci(0.5, 0.0, df=10, n=10, n_eff=10, method=method)
    ref = stats.beta.ppf([0.025, 0.975], [5, 6], [6, 5])
    assert (lo, hi) == pytest.approx(tuple(ref))
