"""``python -m analysis rates`` over a dataset of files: one Dask task per file (issue 15).

``flask responses export --format parquet --output DIR`` writes one file per agency
(``DIR/<agency>.parquet``, the CSV export's columns).  Each file is read where a Dask worker runs
(pyarrow, only the columns the options need), validated as the command line validates a CSV (the
error names the file), and reduced to per-cell moments (:mod:`analysis.moments`) keyed by every
column the design needs (by, strata, weight, fpc, margin variables): constant within a cell, so
:func:`analysis.moment_rates.rates_from_moments` on the summed cells gives the table
:func:`analysis.rates.compute_rates` gives from all the rows (to 1e-9).  Only the cells travel
back to the client: a few kilobytes per file, whatever the number of rows.

Without a scheduler the files are read in this process and ``compute_rates`` runs on their rows,
so the command works without Dask installed.
"""

from __future__ import annotations

import glob
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.labels import nfc
from analysis.moments import CellMoments, cell_moments, item_states, key_codes, rates_from_moments
from analysis.prepare import _label_codes, _weights, numeric, where
from analysis.rates import compute_rates

__all__ = ["Options", "input_files", "is_dataset", "partitioned_rates"]

MAX_CELL_BYTES = 1 << 30  # per file: moments larger than this mean the cells are not cells


@dataclass(frozen=True)
class Options:
    """The ``rates`` options that decide what a file must hold and how it is read."""

    items: tuple[str, ...]
    factors: Mapping[str, Sequence[str]] | None = None
    by: tuple[str, ...] = ()
    weight: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    margin_vars: tuple[str, ...] = ()
    satisfied: tuple[float, ...] = (4.0, 5.0)
    codes: tuple[float, ...] | None = None
    rule: str = "pooled"

    @property
    def keys(self) -> list[str]:
        """Key columns of the cells: every design column, each once, in a fixed order."""
        cols = [*self.by, self.strata, self.weight, self.fpc, *self.margin_vars]
        return list(dict.fromkeys(c for c in cols if c))

    @property
    def labels(self) -> set[str]:
        """Columns read as text (CSV semantics): by, strata, psu and the margin variables."""
        return {c for c in [*self.by, self.strata, self.psu, *self.margin_vars] if c}

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys([*self.items, *self.keys, *([self.psu] if self.psu else [])]))

    @property
    def factor_items(self) -> list[str]:
        used = {c for cols in (self.factors or {}).values() for c in cols}
        return [c for c in self.items if c in used]


def is_dataset(path: str) -> bool:
    """A glob pattern or a Parquet file: the input goes through this module."""
    return glob.has_magic(path) or path.lower().endswith(".parquet")


def input_files(pattern: str) -> list[str]:
    """The files a pattern matches, sorted; none is an error."""
    files = sorted(p for p in glob.glob(pattern) if os.path.isfile(p))
    if not files:
        raise ValueError(f"no input file matches {pattern!r}")
    return files


def _what(col: str, opts: Options) -> str:
    if col in opts.items:
        return "item"
    for name, role in (("weight", "weight column"), ("strata", "strata column"),
                       ("psu", "psu column"), ("fpc", "fpc column")):
        if col == getattr(opts, name):
            return role
    return "by column" if col in opts.by else "margin variable"


def read_file(path: str, opts: Options) -> pd.DataFrame:
    """The needed columns of one Parquet or CSV file (a CSV read as the command line reads it:
    text, blanks missing, ``line N`` in errors; Parquet keeps the types of its numbers, reads
    labels as text, ``row N`` in errors)."""
    cols = opts.columns
    if path.lower().endswith(".parquet"):
        import pyarrow as pa  # reason: optional fast reader, loaded only for Parquet
        import pyarrow.parquet as pq  # reason: as above

        try:
            names = pq.read_schema(path).names
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise ValueError(f"cannot read Parquet: {f'{exc}'.splitlines()[0]}") from None
        have = {nfc(str(c)): c for c in names}
        _require(cols, have, opts)
        table = pq.read_table(path, columns=[have[c] for c in cols])
        for i, col in enumerate(cols):  # labels are text, as in a CSV: 9 < 10 but "10" < "9"
            if col in opts.labels and not pa.types.is_string(table.column(i).type):
                table = table.set_column(i, have[col], table.column(i).cast(pa.string()))
        frame = table.to_pandas()
        frame.columns = cols
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
        return frame
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = fh.readline()
    sep = ";" if header.count(";") > header.count(",") else ","
    with warnings.catch_warnings():  # a row longer than the header: an error, as in the CLI
        warnings.simplefilter("error", pd.errors.ParserWarning)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], sep=sep,
                            encoding="utf-8-sig", index_col=False)
    frame.columns = [nfc(str(c)) for c in frame.columns]
    _require(cols, {c: c for c in frame.columns}, opts)
    frame = frame[cols].copy()
    if sep == ";":  # decimal commas in the numeric columns, as the command line reads them
        for col in [*opts.items, opts.weight, opts.fpc]:
            if col:
                frame[col] = frame[col].str.replace(r"^(\s*[+-]?\d+),(\d+\s*)$", r"\1.\2", regex=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def _require(cols: list[str], have: Mapping[str, str], opts: Options) -> None:
    missing = [c for c in cols if c not in have]
    if missing:
        raise ValueError(f"unknown {_what(missing[0], opts)} {missing[0]!r}: not a column of the data")


def check_file(frame: pd.DataFrame, opts: Options) -> dict[str, np.ndarray]:
    """Validate a file as ``prepare`` validates the rows (messages name column and row); returns
    the item states."""
    states = item_states(frame, opts.items, opts.satisfied, opts.codes)
    if len(frame):
        _weights(frame, opts.weight)
        for col in opts.by:
            _label_codes(frame, col, "by")
        for col, what in ((opts.strata, "strata"), (opts.psu, "psu")):
            if col:
                _label_codes(frame, col, what)
        if opts.fpc:
            pop = numeric(frame, opts.fpc, "fpc column")
            if np.isnan(pop).any():
                raise ValueError(f"fpc column {opts.fpc!r} is blank on "
                                 f"{where(frame, int(np.isnan(pop).argmax()))}")
    return states


def _in_file(path: str, step, *args):
    try:
        return step(*args)
    except (ValueError, KeyError, OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.ParserWarning, pd.errors.EmptyDataError) as exc:
        detail = f"{exc}".strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"input file {path!r}: {detail}") from None


def file_frame(path: str, opts: Options) -> pd.DataFrame:
    """One file read and validated, item columns as numbers (the in-process path)."""
    frame = _in_file(path, read_file, path, opts)
    _in_file(path, check_file, frame, opts)
    for col in opts.items:
        frame[col] = numeric(frame, col, "item")
    return frame


def file_moments(path: str, opts: Options) -> CellMoments:
    """One file's cell moments (a Dask task: runs on a worker, returns only the cells)."""
    frame = _in_file(path, read_file, path, opts)
    states = _in_file(path, check_file, frame, opts)
    pooled = {str(nfc(k)): list(v) for k, v in (opts.factors or {}).items()}
    if pooled:
        pooled["overall"] = opts.factor_items
    keys = frame[opts.keys]
    n_cells = int(key_codes(keys)[1].size)
    k = len(opts.factor_items) if opts.rule == "mean" else 0
    size = n_cells * (6 * (len(states) + len(pooled)) + 3 * k * k) * 8
    if size > MAX_CELL_BYTES:  # e.g. a weight that differs for every respondent (raked per row)
        raise ValueError(
            f"input file {path!r}: {n_cells} cells of {', '.join(opts.keys)} for {len(frame)} rows "
            f"would need {size / 2**30:.1f} GiB of moments; the Dask path needs weights that are "
            "constant within agency, stratum and margin cell (run without --scheduler)"
        )
    cross = opts.factor_items if opts.rule == "mean" else []  # cross moments: the mean rule only
    return cell_moments(keys, states, pooled=pooled, cross=cross)


def _client(scheduler: str, n_files: int):
    """A Client on a LocalCluster started for this run (``local``: a process per core, no more
    than files) or on a running scheduler."""
    from distributed import Client, LocalCluster  # reason: optional extra sipas[dask], heavy

    if scheduler == "local":
        workers = max(1, min(os.cpu_count() or 1, n_files))
        cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1,
                               dashboard_address=":0")
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="20s"), None
    except OSError as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None


def dask_moments(files: Sequence[str], opts: Options, scheduler: str) -> CellMoments:
    """Per-file cell moments on the cluster, summed on the client."""
    from distributed import KilledWorker  # reason: optional extra sipas[dask], heavy

    client, cluster = _client(scheduler, len(files))
    try:
        futures = client.map(file_moments, list(files), opts=opts, pure=False)
        parts = client.gather(futures)
    except KilledWorker as exc:
        raise ValueError(f"a Dask worker died while reading a file ({exc}); is a file larger than "
                         "a worker's memory?") from None
    except (RuntimeError, ImportError) as exc:  # a scheduler or worker without this package
        cause = exc.__cause__ or exc  # the scheduler re-raises a ModuleNotFoundError as its cause
        detail = " ".join([type(cause).__name__ + ":", *f"{cause}".strip().splitlines()[:1]])
        raise ValueError(
            f"the Dask cluster could not run the tasks ({detail}); install this package with its "
            "dask extra on the scheduler and every worker (pip install '.[dask]')"
        ) from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    nonempty = [p for p in parts if p.count.sum() > 0]
    return CellMoments.concat(nonempty or parts[:1])


def _check_names(items: list[str], factors: Mapping[str, Sequence[str]] | None) -> None:
    """The checks of ``prepare`` that need no rows, before any file is read (same messages)."""
    if not items:
        raise ValueError("no items given")
    if len(set(items)) != len(items):
        raise ValueError("an item is listed twice")
    for name, cols in (factors or {}).items():
        name, cols = nfc(name), [nfc(c) for c in cols]
        unknown = [c for c in cols if c not in items]
        if unknown:
            raise ValueError(f"factor {name!r} names {unknown[0]!r}, which is not among the items")
        if name in items or name == "overall":
            raise ValueError(f"factor name {name!r} clashes with an item or 'overall'")


def partitioned_rates(
    pattern: str,
    items: Sequence[str],
    *,
    scheduler: str | None = None,
    factors: Mapping[str, Sequence[str]] | None = None,
    rule: str = "pooled",
    by: Sequence[str] | None = None,
    weight: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    margins: pd.DataFrame | None = None,
    satisfied: Sequence[float] = (4, 5),
    ci: str = "logit",
    level: float = 0.95,
    codes: Sequence[float] | None = None,
    lonely_psu: str = "adjust",
) -> pd.DataFrame:
    """``compute_rates`` over the rows of every file ``pattern`` matches.

    ``scheduler``: None reads the files here and runs ``compute_rates``; ``"local"`` starts a
    LocalCluster (one process per core) for the run; ``"tcp://HOST:PORT"`` uses a running Dask
    scheduler, whose workers must see the files at the same path.  With a scheduler, a design
    with PSUs is refused (PSU totals cannot be formed from per-file cells).
    """
    margin_vars: tuple[str, ...] = ()
    if margins is not None and "variable" in margins.columns:
        margin_vars = tuple(dict.fromkeys(nfc(str(v)) for v in margins["variable"].dropna()))
    opts = Options(tuple(items), factors, tuple(by or ()), weight, strata, psu, fpc, margin_vars,
                   tuple(float(s) for s in satisfied), None if codes is None else tuple(codes), rule)
    _check_names(list(items), factors)
    if codes is not None and not np.isin(opts.satisfied, codes).all():
        bad = [s for s in opts.satisfied if s not in codes][0]
        raise ValueError(f"satisfied value {bad:g} is not one of the codes")
    kw = dict(factors=factors, rule=rule, by=list(by) if by else None, weight=weight,
              strata=strata, fpc=fpc, margins=margins, ci=ci, level=level, lonely_psu=lonely_psu)
    if scheduler and psu:
        raise ValueError("--psu cannot be used with --scheduler: PSU totals cannot come from "
                         "per-file cells; run without --scheduler")
    if scheduler and scheduler != "local" and "://" not in scheduler:
        raise ValueError(f"--scheduler is 'local' or an address like tcp://HOST:8786, got {scheduler!r}")
    files = input_files(pattern)
    if scheduler is None:
        frame = pd.concat([file_frame(p, opts) for p in files], ignore_index=True)
        return compute_rates(frame, list(items), psu=psu, satisfied=satisfied, codes=codes, **kw)
    return rates_from_moments(dask_moments(files, opts, scheduler), list(items), **kw)
