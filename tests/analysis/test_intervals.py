"""Interval methods against statsmodels/scipy where they coincide, and coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analysis.intervals import proportion_ci
from analysis.rates import compute_rates


@pytest.mark.parametrize("count,n", [(3, 20), (45, 60), (180, 200), (500, 1000)])
def test_wilson_and_kg_equal_statsmodels_for_simple_random_samples(count, n):
    p = count / n
    se = np.sqrt(p * (1 - p) / n)
    lo, hi = proportion_ci(p, se, n=n, method="wilson")
    assert (lo, hi) == pytest.approx(proportion_confint(count, n, method="wilson"), rel=1e-9)
    lo, hi = proportion_ci(p, se, df=n - 1, n=n, method="kg")
    assert (lo, hi) == pytest.approx(proportion_confint(count, n, method="beta"), rel=1e-9)
    lo, hi = proportion_ci(p, se, method="wald")
    ref = proportion_confint(count, n, method="normal")
    assert (lo, hi) == pytest.approx((max(ref[0], 0), min(ref[1], 1)), rel=1e-9)


def test_logit_interval_is_wald_on_logit_scale_with_t_quantile():
    p, se, df = 0.8, 0.03, 14
    lo, hi = proportion_ci(p, se, df=df, method="logit")
    t = stats.t.ppf(0.975, df)
    half = t * se / (p * (1 - p))
    expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert (lo, hi) == pytest.approx((expit(np.log(4) - half), expit(np.log(4) + half)))


def test_kg_uses_effective_n_times_t_ratio():
    p, se, df, n = 0.1, 0.03, 10, 400
    n_eff = p * (1 - p) / se**2 * (stats.t.ppf(0.975, n - 1) / stats.t.ppf(0.975, df)) ** 2
    lo, hi = proportion_ci(p, se, df=df, n=n, method="kg")
    assert lo == pytest.approx(stats.beta.ppf(0.025, n_eff * p, n_eff * (1 - p) + 1))
    assert hi == pytest.approx(stats.beta.ppf(0.975, n_eff * p + 1, n_eff * (1 - p)))


def test_all_satisfied_gives_a_proper_interval_not_a_point():
    lo, hi = proportion_ci(1.0, 0.0, n=50, n_eff=50, method="logit")
    assert 0.9 < lo < 1 and hi == 1


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="unknown interval method"):
        proportion_ci(0.5, 0.1, method="exact")


@pytest.mark.parametrize("method", ["logit", "kg", "wilson", "wald"])
def test_95_percent_intervals_cover_the_true_rate(method):
    """Stratified, unequally weighted samples; true rate known by construction."""
    rng = np.random.default_rng(20240601)
    n_strata, per, reps = 5, 80, 300
    true_h = np.linspace(0.6, 0.9, n_strata)
    big_n = np.array([4000, 2000, 1000, 3000, 5000])
    truth = np.sum(big_n * true_h) / big_n.sum()
    h = np.repeat(np.arange(n_strata), per)
    weight = (big_n / per)[h]
    hits = 0
    for _ in range(reps):  # replicate samples, each estimate vectorised
        y = (rng.random(h.size) < true_h[h]).astype(float) * 2 + 2  # 4 or 2
        frame = pd.DataFrame({"q": y, "h": h, "w": weight})
        row = compute_rates(frame, ["q"], weight="w", strata="h", ci=method).iloc[0]
        hits += row["ci_lower"] <= truth <= row["ci_upper"]
    assert 0.93 <= hits / reps <= 0.97
