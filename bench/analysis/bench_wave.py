"""Full-wave benchmark: analysis vs samplics (run by hand, not in the suite).

    .venv/bin/python bench/analysis/bench_wave.py --n 1000000 5000000 [--samplics-n 200000]

Generated data: 22 items (5 factors), 40 agencies = strata, unequal weights,
~5% not applicable.  A full wave = every item, factor and overall per agency
and for the whole sample, after raking to agency, gender and age margins, with
calibrated linearized SEs and logit CIs.  samplics (if installed) computes one
measure's per-agency ratio with SE on a subset; its time is scaled to the full
wave (× measures × 2 domain sets × n/subset) in the same run.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from analysis.rates import compute_rates_with_total

SIZES = [4, 5, 6, 3, 4]


def generate(n: int, seed: int = 1) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    agency = rng.integers(0, 40, n)
    cols = {"agency": agency, "weight": rng.lognormal(0, 0.5, n) * (1 + agency % 5),
            "gender": rng.integers(0, 2, n), "age": rng.integers(0, 5, n)}
    base = 0.55 + 0.01 * agency
    items = []
    for k in range(22):
        sat = rng.random(n) < base
        x = np.where(sat, 4 + (rng.random(n) < 0.4), 1 + rng.integers(0, 3, n)).astype(float)
        x[rng.random(n) < 0.05] = np.nan
        cols[f"q{k + 1:02d}"] = x
        items.append(f"q{k + 1:02d}")
    frame = pd.DataFrame(cols)
    factors, start = {}, 0
    for f, size in enumerate(SIZES):
        factors[f"F{f + 1}"] = items[start:start + size]
        start += size
    total = 10 * n
    rows = []
    for var, k in (("agency", 40), ("gender", 2), ("age", 5)):
        share = np.bincount(frame[var], minlength=k) / n
        share = share * (1 + 0.1 * np.sin(np.arange(k)))
        share /= share.sum()
        rows += [{"variable": var, "category": str(c), "total": total * s} for c, s in enumerate(share)]
    return frame, factors, pd.DataFrame(rows)


def run_analysis(frame, factors, margins):
    items = [i for m in factors.values() for i in m]
    t = time.perf_counter()
    by, whole = compute_rates_with_total(
        frame, items, by=["agency"], factors=factors, weight="weight", strata="agency",
        margins=margins, ci="logit",
    )
    return time.perf_counter() - t, len(by) + len(whole)


def run_samplics(frame, n_sub):
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

    sub = frame.iloc[:n_sub]
    y = np.isin(sub["q01"], [4, 5]).astype(float)
    ok = sub["q01"].notna().to_numpy()
    t = time.perf_counter()
    est = TaylorEstimator(PopParam.mean)
    est.estimate(y=y[ok], samp_weight=sub["weight"].to_numpy()[ok],
                 stratum=sub["agency"].to_numpy()[ok], domain=sub["agency"].to_numpy()[ok])
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--samplics-n", type=int, default=200_000)
    args = ap.parse_args()
    for n in args.n:
        t = time.perf_counter()
        frame, factors, margins = generate(n)
        load = time.perf_counter() - t
        tracemalloc.start()
        secs, rows = run_analysis(frame, factors, margins)
        extra = tracemalloc.get_traced_memory()[1] / 1024**3
        tracemalloc.stop()
        data_gb = frame.memory_usage(deep=True).sum() / 1024**3
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        line = f"n={n:,}: data {load:.1f}s | analysis {secs:.2f}s for {rows} estimates | data {data_gb:.2f} GB + analysis peak {extra:.2f} GB (process RSS incl. generation {peak:.2f} GB)"
        print(line, flush=True)
        try:
            per = run_samplics(frame, args.samplics_n)
            measures = 22 + len(factors) + 1
            scaled = per * measures * 2 * n / args.samplics_n
            line = (f"  samplics {per:.2f}s per measure on {args.samplics_n:,} → "
                     f"~{scaled:.0f}s scaled | ratio {scaled / secs:.0f}x")
        except ImportError:
            line = "  samplics not installed"
        print(line, flush=True)


if __name__ == "__main__":
    main()
