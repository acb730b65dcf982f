"""Reorganisations of agencies (merges and splits) from a CSV file: checked whole, previewed, applied.

The file has the header ``old_code,new_code,share,effective_on``. Each old unit's shares (of its
transactions or population) sum to 1: a merge is one row of share 1 per old unit, a split several
rows. New units exist already (``flask agencies import`` first). Applying ends each old unit the
day before (``valid_to``), starts a new unit on ``effective_on`` when it had no start, and records
the lineage that trends use (app.results.lineage_trend).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Agency, AgencyLineage, User, Wave
from app.programme import lineage
from app.shared import audit
from app.shared.csvio import ImportRejected, RowError, read_rows

COLUMNS = ("old_code", "new_code", "share", "effective_on")


@dataclass
class Plan:
    """What applying a file changes: per old unit its successors and new end; warnings."""

    rows: list[tuple[Agency, Agency, float, date]]
    ends: dict[str, tuple[date | None, date]] = field(default_factory=dict)  # old code: (valid_to, new)
    starts: dict[str, date] = field(default_factory=dict)  # new code: valid_from set
    warnings: list[str] = field(default_factory=list)

    def successors(self) -> dict[str, list[tuple[str, float]]]:
        out: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for old, new, share, _day in self.rows:
            out[old.code].append((new.code, share))
        return dict(out)

    def predecessors(self) -> dict[str, list[tuple[str, float]]]:
        out: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for old, new, share, _day in self.rows:
            out[new.code].append((old.code, share))
        return dict(out)


def version() -> tuple[int, int]:
    """Changes whenever a reorganisation is recorded: part of the cache key of trend figures."""
    count, last = db.session.execute(select(func.count(AgencyLineage.id), func.max(AgencyLineage.id))).one()
    return int(count or 0), int(last or 0)


def edges() -> list[lineage.Edge]:
    """Every recorded reorganisation edge, by agency code."""
    rows = db.session.execute(select(AgencyLineage)).scalars()
    return [lineage.Edge(r.old.code, r.new.code, r.share, r.effective_on) for r in rows]


def _share(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 < value <= 1 else None


def _row(line: int, row: dict, errors: list[RowError], units: dict[str, Agency]):
    if "__extra__" in row:
        errors.append(RowError(line, None, _("more values than columns")))
        return None
    old, new = units.get(row.get("old_code", "").strip()), units.get(row.get("new_code", "").strip())
    bad = len(errors)
    if old is None:
        errors.append(RowError(line, "old_code", _("unknown agency code '%(code)s'",
                                                   code=row.get("old_code", "").strip())))
    if new is None:
        errors.append(RowError(line, "new_code", _("unknown agency code '%(code)s' (import new units first)",
                                                   code=row.get("new_code", "").strip())))
    if old is not None and old is new:
        errors.append(RowError(line, "new_code", _("a unit cannot be its own successor")))
    share = _share(row.get("share", ""))
    if share is None:
        errors.append(RowError(line, "share", _("expected a number greater than 0 and at most 1")))
    try:
        day = date.fromisoformat(row.get("effective_on", "").strip())
    except ValueError:
        errors.append(RowError(line, "effective_on", _("expected a date as YYYY-MM-DD")))
        day = None
    if len(errors) > bad:
        return None
    if old.valid_from is not None and old.valid_from >= day:
        errors.append(RowError(line, "effective_on", _("%(code)s only started on %(day)s",
                                                       code=old.code, day=old.valid_from.isoformat())))
    elif old.valid_to is not None and old.valid_to < day - timedelta(days=1):
        errors.append(RowError(line, "old_code", _("%(code)s already ended on %(day)s",
                                                   code=old.code, day=old.valid_to.isoformat())))
    if new.valid_to is not None and new.valid_to < day:
        errors.append(RowError(line, "new_code", _("%(code)s ended on %(day)s",
                                                   code=new.code, day=new.valid_to.isoformat())))
    elif new.valid_from is not None and new.valid_from > day:
        errors.append(RowError(line, "new_code", _("%(code)s only starts on %(day)s",
                                                   code=new.code, day=new.valid_from.isoformat())))
    return (old, new, share, day, line) if len(errors) == bad else None


def _whole_file(parsed: list, errors: list[RowError]) -> None:
    """Checks across rows: shares per old unit, one date per old unit, no repeats, no cycles."""
    first_line: dict[str, int] = {}
    days: dict[str, date] = {}
    pairs: set[tuple[str, str]] = set()
    for old, new, _sh, day, line in parsed:
        first_line.setdefault(old.code, line)
        if days.setdefault(old.code, day) != day:
            errors.append(RowError(line, "effective_on", _("%(code)s is reorganised on two dates in one file",
                                                           code=old.code)))
        if (old.code, new.code) in pairs:
            errors.append(RowError(line, "new_code", _("%(old)s → %(new)s appears twice", old=old.code,
                                                       new=new.code)))
        pairs.add((old.code, new.code))
    ending = {old.code for old, *_x in parsed}
    for _old, new, _sh, _day, line in parsed:
        if new.code in ending:
            errors.append(RowError(line, "new_code", _("%(code)s ends in this file and cannot receive units",
                                                       code=new.code)))
    wrong = lineage.share_errors(lineage.Edge(o.code, n.code, sh, d) for o, n, sh, d, _line in parsed)
    for code, total in wrong.items():
        errors.append(RowError(first_line[code], "share", _("the shares of %(code)s sum to %(total)s, not 1",
                                                            code=code, total=f"{total:.6g}")))
    done = {r.old.code: r.effective_on for r in db.session.scalars(
        select(AgencyLineage).where(AgencyLineage.old_agency_id.in_([p[0].id for p in parsed])))}
    for code, day in done.items():
        errors.append(RowError(first_line[code], "old_code", _("%(code)s was already reorganised on %(day)s",
                                                               code=code, day=day.isoformat())))
    combined = lineage.parents(edges() + [lineage.Edge(o.code, n.code, sh, d) for o, n, sh, d, _line in parsed])
    for old, new, *_x, line in parsed:  # would a unit come from itself?
        if old.code in lineage.ancestors(old.code, combined):
            errors.append(RowError(line, "new_code", _("%(new)s is an earlier unit of %(old)s: a cycle",
                                                       new=new.code, old=old.code)))


def _units(codes: set[str]) -> dict[str, Agency]:
    """The agencies a file names, by code, in a few queries (a national file names 14,000)."""
    found: dict[str, Agency] = {}
    wanted = sorted(c for c in codes if c)
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start:start + 1000]
        found.update({a.code: a for a in db.session.scalars(select(Agency).where(Agency.code.in_(chunk)))})
    return found


def plan(data: bytes | str) -> Plan:
    """Check the whole file; raise ImportRejected naming every bad line and column."""
    _columns, rows = read_rows(data, required=COLUMNS)
    errors: list[RowError] = []
    rows = list(rows)
    units = _units({row.get(c, "").strip() for _line, row in rows for c in ("old_code", "new_code")})
    parsed = [p for line, row in rows if (p := _row(line, row, errors, units)) is not None]
    if not parsed and not errors:
        errors.append(RowError(2, None, _("the file has no rows")))
    if not errors:
        _whole_file(parsed, errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.line, e.column or "")))
    result = Plan([(o, n, s, d) for o, n, s, d, _line in parsed])
    for old, new, _sh, day in result.rows:
        result.ends[old.code] = (old.valid_to, day - timedelta(days=1))
        if new.valid_from is None:
            result.starts[new.code] = day
    ended = {old.id: old.code for old, *_rest in result.rows}
    for wave in db.session.scalars(select(Wave)):
        codes = sorted(ended[a.id] for a in wave.agencies if a.id in ended)
        day = min((d for o, _n, _s, d in result.rows if o.code in codes), default=None)
        if codes and day is not None and wave.period_end >= day:
            result.warnings.append(_("Wave %(wave)s runs to %(end)s and has %(codes)s in scope: their "
                                     "responses stay theirs; rankings after the date show the new units.",
                                     wave=wave.slug, end=wave.period_end.isoformat(), codes=", ".join(codes)))
    return result


def apply(data: bytes | str, actor: User | None = None) -> Plan:
    """Check, then record the lineage and the new validity dates (flush; the caller commits)."""
    result = plan(data)
    for old, new, share, day in result.rows:
        db.session.add(AgencyLineage(old_agency_id=old.id, new_agency_id=new.id, share=share, effective_on=day))
        old.valid_to = day - timedelta(days=1)
        if new.valid_from is None:
            new.valid_from = day
    db.session.flush()
    audit.record("agency.reorganise", "agency", None, user=actor,
                 after={"successors": result.successors(), "ends": {c: e.isoformat() for c, (_b, e) in result.ends.items()}})
    return result
