"""``python -m analysis rates|rake|rank`` (contract in DESIGN.md).

Errors go to stderr as one line ``error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence

import pandas as pd

from analysis.design import LONELY_PSU
from analysis.labels import nfc
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
    return [nfc(t.strip()) for t in text.split(",") if t.strip()] if text else []


_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")


def _delimiter(path: str, what: str) -> str:
    """``,`` or ``;``: Excel in a locale whose decimal mark is the comma (Vietnamese among them)
    saves "CSV" with semicolons between fields and decimal commas."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
    except FileNotFoundError:
        raise UsageError(f"{what} file {path!r} not found") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"cannot read {what} file {path!r}: it is not UTF-8 (save it as \"CSV UTF-8\")"
        ) from None
    if "\t" in header and not ("," in header or ";" in header):
        raise UsageError(f"{what} file {path!r} is delimited by tabs; save it as CSV (, or ;)")
    return ";" if header.count(";") > header.count(",") else ","


def _read(path: str, what: str = "input") -> pd.DataFrame:
    sep = _delimiter(path, what)
    try:
        with warnings.catch_warnings():  # a row longer than the header: an error, not lost data
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], sep=sep,
                                encoding="utf-8-sig", index_col=False)
    except FileNotFoundError:
        raise UsageError(f"{what} file {path!r} not found") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, pd.errors.EmptyDataError,
            UnicodeDecodeError) as exc:
        detail = f"{exc}".splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(
            f"cannot read {what} file {path!r} (read as delimited by {sep!r}): {detail}"
        ) from None
    if sep == ";":  # decimal commas: "4,5" is 4.5 (a value like "1.234" is left as written)
        for col in frame.columns:
            s = frame[col]
            hit = s.str.match(_DECIMAL_COMMA, na=False)
            if hit.any():
                frame[col] = s.where(~hit, s.str.replace(",", ".", regex=False))
    frame.columns = [nfc(str(c)) for c in frame.columns]
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
        out.setdefault(nfc(str(factor)), []).append(nfc(str(item)))
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
    satisfied = _numbers(args.satisfied, "--satisfied")
    codes = _numbers(args.codes, "--codes")
    weight, strata, psu, fpc = (nfc(c) if c else c for c in (args.weight, args.strata, args.psu, args.fpc))
    out = compute_rates(
        frame, items, factors=_factors(args.factors, items), rule=args.rule,
        by=_split(args.by) or None, weight=weight, strata=strata, psu=psu,
        fpc=fpc, margins=_margins(args.margins), satisfied=satisfied, ci=args.ci,
        level=args.level, codes=codes, lonely_psu=args.lonely_psu,
    )
    if "note" in out.columns:  # DESIGN.md: lonely PSUs are reported on stderr and in the output
        notes = list(dict.fromkeys(n for n in out["note"] if isinstance(n, str) and n))
        more = f" (and {len(notes) - 2} more)" if len(notes) > 2 else ""
        print(f"warning: {'; '.join(notes[:2])}{more}; see the note column", file=sys.stderr)
    _write(out, args.output)


def _rates_or_dataset(args: argparse.Namespace) -> None:
    """``rates`` on one CSV here, or on a dataset of files (a pattern, Parquet; maybe on Dask)."""
    from analysis import partitioned  # reason: the dataset path, only for a pattern or --scheduler

    if not (args.scheduler or partitioned.is_dataset(args.input)):
        return _rates(args)
    items = _split(args.items)
    opt = {k: nfc(getattr(args, k)) if getattr(args, k) else None for k in ("weight", "strata", "psu", "fpc")}
    out = partitioned.partitioned_rates(
        args.input, items, scheduler=args.scheduler, factors=_factors(args.factors, items),
        rule=args.rule, by=_split(args.by) or None, margins=_margins(args.margins), ci=args.ci,
        satisfied=_numbers(args.satisfied, "--satisfied"), codes=_numbers(args.codes, "--codes"),
        level=args.level, lonely_psu=args.lonely_psu, **opt)
    if "note" in out.columns:  # as _rates: lonely PSUs on stderr and in the output
        notes = list(dict.fromkeys(n for n in out["note"] if isinstance(n, str) and n))
        more = f" (and {len(notes) - 2} more)" if len(notes) > 2 else ""
        print(f"warning: {'; '.join(notes[:2])}{more}; see the note column", file=sys.stderr)
    _write(out, args.output)


def _numbers(text: str, option: str) -> list[float]:
    try:
        values = [float(v) for v in _split(text)]
    except ValueError:
        raise UsageError(f"{option} takes numbers separated by commas, got {text!r}") from None
    if not values:
        raise UsageError(f"{option} is empty")
    return values


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
    r.add_argument("--input", required=True,
                   help="a CSV file, or Parquet/CSV files: a file or a quoted pattern ('DIR/*.parquet')")
    r.add_argument("--items", required=True)
    r.add_argument("--factors")
    r.add_argument("--rule", default="pooled", choices=["pooled", "mean"])
    r.add_argument("--by")
    for name in ("--weight", "--strata", "--psu", "--fpc", "--margins", "--output"):
        r.add_argument(name)
    r.add_argument("--satisfied", default="4,5")
    r.add_argument("--codes", default="1,2,3,4,5",
                   help="the scale's codes; any other value in an item column is refused")
    r.add_argument("--lonely-psu", default="adjust", dest="lonely_psu",
                   choices=[m for m in LONELY_PSU if m != "remove"],
                   help="strata with a single PSU, as R's survey.lonely.psu (default adjust)")
    r.add_argument("--ci", default="logit", choices=["logit", "kg", "wilson", "wald"])
    r.add_argument("--level", type=float, default=0.95)
    r.add_argument("--scheduler", help="run on Dask, one task per input file: 'local' (a cluster "
                   "on this machine) or tcp://HOST:PORT (a running dask scheduler)")
    r.set_defaults(run=_rates_or_dataset)
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
