"""``python -m analysis shrink``: Fay–Herriot EBLUPs of area estimates (contract in DESIGN.md).

Input: one row per area with its direct estimate, that estimate's standard error and optional
numeric covariates. Output columns ``area, direct, se, eb, mse, gamma`` (and ``synthetic``).
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from analysis.labels import nfc
from analysis.prepare import numeric, where
from analysis.smallarea import METHODS, fay_herriot


def add_parser(sub, run) -> None:
    s = sub.add_parser("shrink", help="Fay–Herriot empirical-Bayes (EBLUP) estimates of small areas")
    s.add_argument("--input", required=True, help="CSV: one row per area")
    s.add_argument("--area", required=True, help="column naming the area")
    s.add_argument("--estimate", required=True, help="column of direct estimates")
    s.add_argument("--se", required=True, help="column of the direct estimates' standard errors")
    s.add_argument("--covariates", help="numeric columns, comma-separated (an intercept is always in the model)")
    s.add_argument("--method", default="reml", choices=METHODS,
                   help="how the area variance is estimated: reml (default), ml, fh (moments)")
    s.add_argument("--output")
    s.set_defaults(run=run)


def shrink_frame(frame: pd.DataFrame, area: str, estimate: str, se: str, covariates: list[str],
                 method: str = "reml") -> tuple[pd.DataFrame, object]:
    """The output table and the fitted model, with errors naming the column and the line."""
    if area not in frame.columns:
        raise ValueError(f"unknown --area column {area!r}: not a column of the data")
    names = frame[area]
    blank = names.isna() | names.astype(str).str.strip().eq("")
    if blank.any():
        raise ValueError(f"column {area!r}, {where(frame, int(np.flatnonzero(blank)[0]))}: the area is blank")
    repeated = names.duplicated()
    if repeated.any():
        pos = int(np.flatnonzero(repeated)[0])
        raise ValueError(f"column {area!r}, {where(frame, pos)}: area {names.iloc[pos]!r} appears twice "
                         "(one row per area)")
    y = numeric(frame, estimate, "--estimate column")
    s = numeric(frame, se, "--se column")
    for col, values, positive in ((estimate, y, False), (se, s, True)):
        bad = ~np.isfinite(values) | ((values <= 0) if positive else False)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            what = "a positive number" if positive else "a number"
            raise ValueError(f"column {col!r}, {where(frame, pos)}: expected {what}, got {frame[col].iloc[pos]!r}")
    X = None
    if covariates:
        cols = []
        for col in covariates:
            values = numeric(frame, col, "--covariates column")
            missing = ~np.isfinite(values)
            if missing.any():
                raise ValueError(f"column {col!r}, {where(frame, int(np.flatnonzero(missing)[0]))}: "
                                 "a covariate is missing")
            cols.append(values)
        X = np.column_stack(cols)
    fit = fay_herriot(y, s, X, method=method)
    out = pd.DataFrame({"area": names.to_numpy(), "direct": y, "se": s, "eb": fit.eb,
                        "mse": fit.mse, "gamma": fit.gamma, "synthetic": fit.synthetic})
    return out, fit


def run(args: argparse.Namespace, read, write) -> None:
    """Read, fit, write; a user's error is a ValueError (one line on stderr, exit status 2)."""
    frame = read(args.input)
    covariates = [nfc(c.strip()) for c in (args.covariates or "").split(",") if c.strip()]
    try:
        out, fit = shrink_frame(frame, nfc(args.area), nfc(args.estimate), nfc(args.se), covariates, args.method)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"the model cannot be fitted: {exc}") from None
    if not fit.converged:
        raise ValueError(f"the {args.method} fit did not converge in {fit.iterations} iterations")
    write(out, args.output)
