"""``python -m analysis rates|rake|rank|shrink`` (contract in DESIGN.md).

Errors go to stderr as one line ``error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import threading
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis import shrink
from analysis.design import LONELY_PSU
from analysis.labels import nfc
from analysis.prepare import _parse, numeric
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


def _fast_header(path: str, sep: str) -> list[str] | None:
    """The header's names when the fast reader names the columns exactly as pandas does (no
    quotes, no empty or repeated name, before or after NFC), else None."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        line = fh.readline().rstrip("\r\n")
    names = line.split(sep)
    if '"' in line or not all(names) or len({nfc(n) for n in names}) != len(names):
        return None
    return names


def _read_typed(path: str, what: str, numbers: Sequence[str], labels: Sequence[str] | None,
                *, positive: Sequence[str] = (), codes: Sequence[str] = ()) -> pd.DataFrame:
    """The columns ``numbers`` (float) and ``labels`` (text; None: every other column) of a CSV,
    as ``_read`` reads them.

    pyarrow's multi-threaded parser reads each needed column dictionary-encoded; every distinct
    text is then handled as ``_read`` and ``numeric`` handle it (decimal commas, ``_parse``), so
    the float64 values are the same bits as the text path's.  The ``codes`` among the numbers
    (answers on a scale) are first tried as 16-bit integers: a text pyarrow reads as one ("4",
    "04", "+4", "-0") is the same number to the text path (which also makes "-0" a plain 0).
    A column that is not clean (a value that is not a number, or for ``positive`` columns not a
    positive number) stays text, for ``numeric`` and ``prepare`` to report with the very same
    message.  Anything pyarrow cannot read exactly as pandas does (rows shorter or longer than
    the header, quotes in the header, repeated names, text that is not UTF-8 anywhere in the
    file) goes through ``_read``.  Columns named but absent are left out, for the caller's
    "unknown column" error.
    """
    sep = _delimiter(path, what)
    names = _fast_header(path, sep)
    raw = {nfc(n): n for n in names or ()}
    labels = [c for c in raw if c not in numbers] if labels is None else labels
    wanted = {c: kind for kind, cols in (("number", numbers), ("label", labels)) for c in cols if c in raw}
    ints = [raw[c] for c, kind in wanted.items() if kind == "number" and c in codes]
    table = _arrow_table(path, sep, [raw[c] for c in wanted], ints) if wanted else None
    if table is None or table.num_rows == 0:
        return _read(path, what)
    n = table.num_rows
    columns = {}
    for name, kind in wanted.items():
        column = table.column(raw[name])
        if not hasattr(column.type, "value_type"):  # read as integers: NaN where blank
            columns[name] = column.to_numpy().astype(float)
            continue
        values, at = _dictionary(column, sep)
        if kind == "number":
            num, bad = _parse(pd.Series(values, dtype=object))
            num = np.append(num, np.nan)[at]  # code -1 (blank) is NaN
            ok = not bad.any() and (name not in positive or bool(np.all(np.isfinite(num) & (num > 0))))
            if ok:
                columns[name] = num
                continue
        columns[name] = np.append(values, np.nan)[at]
    # copy=False: one block per column, no copy of a million rows into a 2-d block
    return pd.DataFrame(columns, index=pd.RangeIndex(2, n + 2, name="line"), copy=False)


def _arrow_table(path: str, sep: str, columns: list[str], ints: list[str]):
    """The columns, ``ints`` as 16-bit integers if they all are and the others as dictionary-
    encoded text, or None where pyarrow refuses the file."""
    import pyarrow as pa  # heavy: the fast CSV reader, only for `rates`
    import pyarrow.csv as pv  # heavy: as above

    with open(path, "rb") as fh:
        data = fh.read()
    if not data.isascii():  # pandas decodes every column: text that is not UTF-8 is its error
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    text = pa.dictionary(pa.int32(), pa.string())

    def read(types):
        return pv.read_csv(
            pa.py_buffer(data),
            read_options=pv.ReadOptions(block_size=4 << 20),
            # a file without quotes has no newline inside a value: the faster chunking is exact
            parse_options=pv.ParseOptions(delimiter=sep, newlines_in_values=b'"' in data),
            convert_options=pv.ConvertOptions(
                column_types=types, include_columns=columns,
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )

    if ints:
        try:
            table = read({c: pa.int16() if c in ints else text for c in columns})
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            table = None  # a code that is not an integer: read every column as text
        if table is not None:
            return table
    try:
        return read({c: text for c in columns})
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _dictionary(column, sep: str) -> tuple[np.ndarray, np.ndarray]:
    """Distinct texts (object array, decimal commas read as ``_read`` does) and each row's code
    (-1 where blank) of a dictionary-encoded column."""
    column = column.unify_dictionaries()
    values = column.chunks[0].dictionary.to_pylist() if column.num_chunks else []
    if sep == ";":
        values = [v.replace(",", ".") if _DECIMAL_COMMA.match(v) else v for v in values]
    parts = []
    for chunk in column.chunks:  # indices from the buffers: no pyarrow.compute (its import) needed
        idx = chunk.indices
        start, stop = idx.offset, idx.offset + len(idx)
        codes = np.frombuffer(idx.buffers()[1], np.int32)[start:stop].astype(np.intp)
        if idx.null_count:
            valid = np.unpackbits(np.frombuffer(idx.buffers()[0], np.uint8), bitorder="little")
            codes[valid[start:stop] == 0] = -1
        parts.append(codes)
    codes = np.concatenate(parts) if parts else np.zeros(0, np.intp)
    return np.asarray(values, dtype=object), codes


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
    # The intervals need scipy.special (0.2 s to import): import it while pyarrow reads the file
    # in its own threads, which leave the interpreter free.
    threading.Thread(target=importlib.import_module, args=("scipy.special",), daemon=True).start()
    items = _split(args.items)
    weight, strata, psu, fpc = (nfc(c) if c else c for c in (args.weight, args.strata, args.psu, args.fpc))
    # With margins every other column is read as text (the margins name the raking variables and
    # are read after the items are checked) and so are the weights: raking reads them as numpy
    # does, as it always has.
    numbers = [*items, *(c for c in (fpc,) if c), *(c for c in (weight,) if c and not args.margins)]
    labels = None if args.margins else [*_split(args.by), *(c for c in (strata, psu) if c)]
    frame = _read_typed(args.input, "input", numbers, labels, positive=[weight] if weight else [], codes=items)
    for col in items:  # numeric check with line numbers before anything else
        frame[col] = numeric(frame, col, "item")
    satisfied = _numbers(args.satisfied, "--satisfied")
    codes = _numbers(args.codes, "--codes")
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
    from analysis.ranking import rank_table  # heavy: scipy.stats, only for `rank`

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
    shrink.add_parser(sub, lambda args: shrink.run(args, lambda path: _read(path, "input"), _write))
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
