"""``python -m analysis rates|rake|rank`` (contract in DESIGN.md).

Errors go to stderr as one line ``error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from analysis.prepare import numeric
from analysis.ranking import rank_table
from analysis.rates import compute_rates
from analysis.weights import rake


class UsageError(Exception):
    """A user error reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, exit 2
        raise UsageError(message)


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _read(path: str, what: str = "input") -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise UsageError(f"{what} file {path!r} not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {what} file {path!r}: {exc}".splitlines()[0]) from None
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def _write(frame: pd.DataFrame, output: str | None) -> None:
    if output:
        frame.to_csv(output, index=False)
    else:
        frame.to_csv(sys.stdout, index=False)


def _factors(path: str | None, items: list[str]) -> dict[str, list[str]] | None:
    if not path:
        return None
    fmap = _read(path, "factors")
    if not {"item", "factor"} <= set(fmap.columns):
        raise UsageError(f"factors file {path!r} needs columns item,factor")
    out: dict[str, list[str]] = {}
    for item, factor in zip(fmap["item"], fmap["factor"]):
        out.setdefault(str(factor), []).append(str(item))
    return out


def _margins(path: str | None) -> pd.DataFrame | None:
    if not path:
        return None
    m = _read(path, "margins")
    m.index = pd.RangeIndex(len(m))
    if {"total"} <= set(m.columns):
        m["total"] = pd.to_numeric(m["total"], errors="coerce")
    return m


def _rates(args: argparse.Namespace) -> None:
    frame = _read(args.input)
    items = _split(args.items)
    for col in items:  # numeric check with line numbers before anything else
        frame[col] = numeric(frame, col, "item")
    satisfied = [float(v) for v in _split(args.satisfied)]
    out = compute_rates(
        frame, items, factors=_factors(args.factors, items), rule=args.rule,
        by=_split(args.by) or None, weight=args.weight, strata=args.strata, psu=args.psu,
        fpc=args.fpc, margins=_margins(args.margins), satisfied=satisfied, ci=args.ci,
        level=args.level,
    )
    _write(out, args.output)


def _rake(args: argparse.Namespace) -> None:
    frame = _read(args.input)
    if args.weight:
        w = numeric(frame, args.weight, "weight column")
        if (w <= 0).any() or pd.isna(w).any():
            raise UsageError(f"weight column {args.weight!r} has zero, negative or blank weights")
        frame[args.weight] = w
    res = rake(frame, args.weight, _margins(args.margins), trim_upper=args.trim_upper)
    if not res.converged:
        raise UsageError(
            f"raking did not converge in {res.iterations} iterations "
            f"(largest margin error {res.max_error:.3g})"
        )
    out = frame.reset_index(drop=True)
    out[args.weight or "weight"] = res.weights
    _write(out, args.output)


def _rank(args: argparse.Namespace) -> None:
    rates = _read(args.input, "rates")
    rates.index = pd.RangeIndex(len(rates))
    for col in ("rate", "se", "n_eff"):
        if col in rates.columns:
            rates[col] = pd.to_numeric(rates[col], errors="coerce")
    out = rank_table(
        rates, measure=args.measure, by=args.by, n_sim=args.n_sim, seed=args.seed,
        min_n_eff=args.min_n_eff, level=args.level,
    )
    _write(out, args.output)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m analysis", description="SIPAS survey statistics")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    r = sub.add_parser("rates", help="satisfaction rates with SEs and intervals")
    r.add_argument("--input", required=True)
    r.add_argument("--items", required=True)
    r.add_argument("--factors")
    r.add_argument("--rule", default="pooled", choices=["pooled", "mean"])
    r.add_argument("--by")
    for name in ("--weight", "--strata", "--psu", "--fpc", "--margins", "--output"):
        r.add_argument(name)
    r.add_argument("--satisfied", default="4,5")
    r.add_argument("--ci", default="logit", choices=["logit", "kg", "wilson", "wald"])
    r.add_argument("--level", type=float, default=0.95)
    r.set_defaults(run=_rates)
    k = sub.add_parser("rake", help="rake weights to margins")
    k.add_argument("--input", required=True)
    k.add_argument("--weight")
    k.add_argument("--margins", required=True)
    k.add_argument("--trim-upper", type=float, dest="trim_upper")
    k.add_argument("--output")
    k.set_defaults(run=_rake)
    q = sub.add_parser("rank", help="rank domains with rank intervals")
    q.add_argument("--input", required=True)
    q.add_argument("--measure", default="overall")
    q.add_argument("--by", default="agency")
    q.add_argument("--n-sim", type=int, default=2000, dest="n_sim")
    q.add_argument("--seed", type=int, default=20240601)
    q.add_argument("--min-n-eff", type=float, default=30.0, dest="min_n_eff")
    q.add_argument("--level", type=float, default=0.95)
    q.add_argument("--output")
    q.set_defaults(run=_rank)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        args.run(args)
    except (UsageError, ValueError, KeyError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
