"""Cold-render benchmark of the dashboard's estimator calls on one wave (run by hand).

    PYTHONPATH=. .venv/bin/python bench/analysis/bench_prepare.py [--n 1000000] [--repeat 1]
        [--profile CASE] [--save results.pkl] [--compare other.pkl]

The frame looks like the respondent table of ``app.results``: object-dtype string columns (agency ~41
codes, block, channel, language, stratum mostly "", stratum_key = agency + "|" + stratum,
_domain "in"/"out"), float weights, 22 rated items f1_1..f5_4 (1..5, NaN), late / apology /
exp_* floats.  Every case is one call as the app makes it (estimates.compute and
sipas_figures.figures).  ``--save`` pickles the output tables so that two versions of the
package can be compared exactly with ``--compare`` (e.g. extract the old one with
``git archive REV analysis | tar -x -C /tmp/old`` and run with ``PYTHONPATH=/tmp/old``).
"""

from __future__ import annotations

import argparse
import cProfile
import pickle
import pstats
import time

import numpy as np
import pandas as pd

from analysis import sipas
from analysis.rates import compute_rates

SIZES = {"f1": 4, "f2": 5, "f3": 5, "f4": 4, "f5": 4}
ITEMS = [f"{f}_{k}" for f, size in SIZES.items() for k in range(1, size + 1)]
FACTORS = {f.upper(): [f"{f}_{k}" for k in range(1, size + 1)] for f, size in SIZES.items()}
AREAS = [f"exp_{k}" for k in range(1, 7)]
DESIGN = dict(weight="weight", strata="stratum_key", fpc=None, margins=None, ci="logit", level=0.95)


def generate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    agencies = np.array([f"{b}{a:03d}" for a, b in zip(range(41), "ABC" * 14)], dtype=object)
    a = rng.integers(0, agencies.size, n)
    stratum = np.where(rng.random(n) < 0.9, "", np.array(["urban", "rural"], dtype=object)[rng.integers(0, 2, n)])
    frame = pd.DataFrame({
        "response_id": np.arange(1, n + 1, dtype=np.int64),
        "agency": agencies[a],
        "block": np.array(["prov", "dist", "comm"], dtype=object)[a % 3],
        "channel": np.array(["kiosk", "link", "paper", "phone"], dtype=object)[rng.integers(0, 4, n)],
        "language": np.array(["vi", "en"], dtype=object)[(rng.random(n) < 0.05).astype(int)],
        "stratum": stratum.astype(object),
        "weight": rng.lognormal(0, 0.4, n) * (1 + a % 5),
    })
    base = 0.55 + 0.008 * a
    for col in ITEMS:
        x = np.where(rng.random(n) < base, rng.integers(4, 6, n), rng.integers(1, 4, n)).astype(float)
        x[rng.random(n) < 0.05] = np.nan
        frame[col] = x
    late = (rng.random(n) < 0.15).astype(float)
    late[rng.random(n) < 0.02] = np.nan
    frame["late"] = late
    apology = (rng.random(n) < 0.4).astype(float)
    apology[rng.random(n) < 0.1] = np.nan
    frame["apology"] = apology
    for col in AREAS:
        x = rng.integers(1, 4, n).astype(float)
        x[rng.random(n) < 0.03] = np.nan
        frame[col] = x
    frame["stratum_key"] = frame["agency"] + "|" + frame["stratum"].fillna("")
    frame["_domain"] = np.where(frame["channel"] == "kiosk", "in", "out")
    return frame


def margins(frame: pd.DataFrame) -> pd.DataFrame:
    """Population totals for agency and language, 10x the sample, a little off its shares."""
    rows = []
    for var in ("agency", "language"):
        share = frame[var].value_counts(normalize=True).sort_index()
        share = share * (1 + 0.1 * np.sin(np.arange(share.size)))
        rows += [{"variable": var, "category": c, "total": 10 * len(frame) * s / share.sum()}
                 for c, s in share.items()]
    return pd.DataFrame(rows)


def cases(frame: pd.DataFrame) -> dict:
    late = frame["late"]
    marked = frame.assign(_late=np.where(late.isna(), np.nan, late + 1), _is_late=late)
    common = dict(factors=FACTORS, satisfied=[4, 5], **DESIGN)
    raked = {**common, "margins": margins(frame)}
    return {
        "rates_whole_mean": lambda: compute_rates(frame, ITEMS, rule="mean", by=None, **common),
        "rates_agency_pooled": lambda: compute_rates(frame, ITEMS, rule="pooled", by=["agency"], **common),
        "rates_agency_mean": lambda: compute_rates(frame, ITEMS, rule="mean", by=["agency"], **common),
        "rates_channel_agency": lambda: compute_rates(frame, ITEMS, rule="mean", by=["channel", "agency"],
                                                      **common),
        "rates_agency_raked": lambda: compute_rates(frame, ITEMS, rule="mean", by=["agency"], **raked),
        "rates_domain": lambda: compute_rates(frame, ITEMS, rule="mean", by=["_domain"], **common),
        "late_domain": lambda: compute_rates(marked, ["_late"], by=["_domain"], satisfied=(2,), **DESIGN),
        "apology_whole": lambda: sipas.apology_rate(marked, late="_is_late", apology="apology", **DESIGN),
        "apology_domain": lambda: sipas.apology_rate(marked, late="_is_late", apology="apology",
                                                     by=["_domain"], **DESIGN),
        "expectations_domain": lambda: sipas.expectation_shares(frame, AREAS, top=(3,), by=["_domain"],
                                                                **DESIGN),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", nargs="*", help="case names to run (default: all)")
    ap.add_argument("--profile", help="cProfile this case and print the top functions")
    ap.add_argument("--save", help="pickle {case: output table} to this file")
    ap.add_argument("--compare", help="compare the outputs with a file written by --save")
    args = ap.parse_args()
    t = time.perf_counter()
    frame = generate(args.n)
    print(f"n={args.n:,}: frame built in {time.perf_counter() - t:.1f}s", flush=True)
    runs = cases(frame)
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(runs[args.profile])
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        return
    outputs, total = {}, 0.0
    for name, run in runs.items():
        if args.only and name not in args.only:
            continue
        best = np.inf
        for _ in range(args.repeat):
            t = time.perf_counter()
            outputs[name] = run()
            best = min(best, time.perf_counter() - t)
        total += best
        print(f"  {name:<22} {best:7.3f}s  ({len(outputs[name])} rows)", flush=True)
    print(f"  {'total':<22} {total:7.3f}s", flush=True)
    if args.save:
        with open(args.save, "wb") as fh:
            pickle.dump(outputs, fh)
    if args.compare:
        with open(args.compare, "rb") as fh:
            other = pickle.load(fh)
        for name, table in outputs.items():
            pd.testing.assert_frame_equal(table, other[name], check_exact=True)
        print(f"  identical to {args.compare}: {', '.join(outputs)}")


if __name__ == "__main__":
    main()
