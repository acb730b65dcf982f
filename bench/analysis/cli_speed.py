"""Whole-process speed of ``python -m analysis rates`` against samplics (run by hand).

    .venv/bin/python bench/analysis/cli_speed.py [--n 1000000] [--repeat 3] [--dir /tmp/cli_speed]
        [--samplics-n 0]

Writes a CSV of ``--n`` respondents: agency (30 text codes "01".."30", kept as text), a weight
constant within each agency, 20 rated items q01..q20 (1..5, ~5% blank) in 5 factors and 2
expectation items (exp_1, exp_2).  The 28 measures are the 22 items, the 5 factors pooled and
the overall index (the 20 rated items pooled; the expectations are in no factor).

Times the whole process ``python -m analysis rates ... --by agency --weight weight --strata
agency`` (a subprocess, best of ``--repeat``: interpreter start, imports, reading the CSV,
statistics, writing the table) and, in the same run, samplics' ``TaylorEstimator("ratio")``
for the same 28 ratios by agency (numerator Σ satisfied answers, denominator Σ answers, strata
= agency), from the arrays in memory (samplics' time does not include reading the CSV).  With
``--samplics-n N`` samplics runs on the first N rows and its time is scaled by n/N.  Prints both
times and the ratio, and the largest difference between the two sets of estimates (rate and SE).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

SIZES = [4, 4, 4, 4, 4]
ITEMS = [f"q{k:02d}" for k in range(1, 21)]
EXPECTATIONS = ["exp_1", "exp_2"]
N_AGENCIES = 30


def factors() -> dict[str, list[str]]:
    out, start = {}, 0
    for f, size in enumerate(SIZES):
        out[f"F{f + 1}"] = ITEMS[start:start + size]
        start += size
    return out


def generate(n: int, folder: str, seed: int = 1) -> tuple[str, str]:
    """Write data.csv and factors.csv into ``folder``; return their paths."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    agency = rng.integers(0, N_AGENCIES, n)
    weight = np.round(rng.lognormal(3, 0.7, N_AGENCIES), 4)[agency]
    cols = {"agency": np.char.zfill((agency + 1).astype(str), 2), "weight": weight}
    base = 0.55 + 0.01 * agency
    for name in ITEMS + EXPECTATIONS:
        sat = rng.random(n) < base
        x = np.where(sat, 4 + (rng.random(n) < 0.4), 1 + rng.integers(0, 3, n)).astype(float)
        x[rng.random(n) < 0.05] = np.nan
        cols[name] = x
    frame = pd.DataFrame(cols)
    data = os.path.join(folder, "data.csv")
    frame.to_csv(data, index=False, float_format="%.10g")
    fpath = os.path.join(folder, "factors.csv")
    pd.DataFrame([(i, f) for f, m in factors().items() for i in m],
                 columns=["item", "factor"]).to_csv(fpath, index=False)
    return data, fpath


def command(data: str, fpath: str, output: str) -> list[str]:
    return [sys.executable, "-m", "analysis", "rates", "--input", data,
            "--items", ",".join(ITEMS + EXPECTATIONS), "--factors", fpath, "--by", "agency",
            "--weight", "weight", "--strata", "agency", "--output", output]


def run_cli(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system, all threads) of ``repeat`` runs."""
    best, best_cpu = float("inf"), float("inf")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=root)
        best = min(best, time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best, best_cpu


def run_samplics(data: str, n_sub: int | None) -> tuple[float, float, pd.DataFrame]:
    """samplics' ratio estimates with Taylor SEs by agency for the 28 measures."""
    warnings.simplefilter("ignore")  # samplics warns that it is archived
    from samplics.estimation import TaylorEstimator  # optional bench extra
    from samplics.utils.types import PopParam  # optional bench extra

    frame = pd.read_csv(data, dtype={"agency": str}, nrows=n_sub)
    sat = {c: np.isin(frame[c], [4, 5]).astype(float) for c in ITEMS + EXPECTATIONS}
    ans = {c: frame[c].notna().to_numpy().astype(float) for c in ITEMS + EXPECTATIONS}
    measures = {c: (sat[c], ans[c]) for c in ITEMS + EXPECTATIONS}
    for name, members in {**factors(), "overall": ITEMS}.items():
        measures[name] = (sum(sat[c] for c in members), sum(ans[c] for c in members))
    agency = frame["agency"].to_numpy()
    w = frame["weight"].to_numpy()
    rows = []
    t, cpu = time.perf_counter(), time.process_time()
    for name, (y, x) in measures.items():
        est = TaylorEstimator(PopParam.ratio)
        est.estimate(y=y, x=x, samp_weight=w, stratum=agency, domain=agency)
        for dom, value in est.point_est.items():
            rows.append((name, dom, float(value), float(est.stderror[dom])))
    secs, cpu = time.perf_counter() - t, time.process_time() - cpu
    return secs, cpu, pd.DataFrame(rows, columns=["measure", "agency", "rate", "se"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/tmp/cli_speed")
    ap.add_argument("--samplics-n", type=int, default=0, help="0: all rows")
    args = ap.parse_args()
    data, fpath = generate(args.n, args.dir)
    output = os.path.join(args.dir, "rates.csv")
    cmd = command(data, fpath, output)
    print("command:", " ".join(cmd[1:]), flush=True)
    cli, cli_cpu = run_cli(cmd, args.repeat)
    print(f"python -m analysis rates, whole process, best of {args.repeat}: {cli:.2f} s "
          f"(CPU {cli_cpu:.2f} s, all threads)", flush=True)
    n_sub = args.samplics_n or None
    sam, sam_cpu, theirs = run_samplics(data, n_sub)
    scale = args.n / n_sub if n_sub else 1.0
    note = f" (on {n_sub:,} rows, scaled ×{scale:g})" if n_sub else ""
    print(f"samplics TaylorEstimator ratio, 28 measures by agency: {sam * scale:.1f} s "
          f"(CPU {sam_cpu * scale:.1f} s){note}", flush=True)
    # CPU time too: on a busy machine wall times stretch, and the ratio of CPU times (ours
    # counting both of pyarrow's threads) is the conservative one
    print(f"ratio: {sam * scale / cli:.0f}× faster than samplics (wall), "
          f"{sam_cpu * scale / cli_cpu:.0f}× (CPU)", flush=True)
    if not n_sub:
        ours = pd.read_csv(output, dtype={"agency": str})
        both = ours.merge(theirs, on=["measure", "agency"], suffixes=("", "_samplics"))
        print(f"compared {len(both)} estimates: max |rate diff| "
              f"{(both['rate'] - both['rate_samplics']).abs().max():.2e}, max |SE diff| "
              f"{(both['se'] - both['se_samplics']).abs().max():.2e}", flush=True)


if __name__ == "__main__":
    main()
