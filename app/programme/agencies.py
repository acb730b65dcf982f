"""Agencies as administrators manage them: search, create, edit, deactivate (audit-logged)."""
from __future__ import annotations

import io
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Agency, Block, User
from app.models.agency import LEVELS
from app.shared import audit, cells
from app.shared.csvio import ImportRejected, RowError, read_rows
from app.shared.paging import Page, paginate
from app.shared.refusal import Refusal

COLUMNS = ("code", "name_vi", "name_en", "block", "parent", "level", "unit_code", "one_stop_code", "valid_from",
           "valid_to")
UNIT_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def by_code(code: str) -> Agency | None:
    if not code or "\x00" in code or len(code) > 40:
        return None
    return db.session.scalar(select(Agency).where(Agency.code == code))


def ensure_block(code: str, name_vi: str | None = None, name_en: str | None = None) -> Block:
    block = db.session.scalar(select(Block).where(Block.code == code))
    if block is None:
        position = len(db.session.scalars(select(Block.id)).all())
        block = Block(code=code, name_vi=name_vi or code, name_en=name_en or name_vi or code, position=position)
        db.session.add(block)
        db.session.flush()
    return block


def _check_row(line: int, row: dict, seen: set[str], known: set[str]) -> list[RowError]:
    errors = []
    if "__extra__" in row:
        return [RowError(line, None, _("more values than columns"))]
    code = row.get("code", "")
    if not code or not set(code) <= CODE_CHARS or len(code) > 40:
        errors.append(RowError(line, "code", _("expected a code of letters, digits, '-', '_' or '.' (≤ 40)")))
    elif code in seen:
        errors.append(RowError(line, "code", _("'%(code)s' appears twice in the file", code=code)))
    for col in ("name_vi", "block"):
        if not row.get(col):
            errors.append(RowError(line, col, _("must not be empty")))
    parent = row.get("parent", "")
    if parent and parent not in known and parent not in seen:
        errors.append(RowError(line, "parent", _("unknown agency code '%(parent)s' (list parents first)",
                                                 parent=parent)))
    level = row.get("level", "")
    if level and level.lower() not in LEVELS:
        errors.append(RowError(line, "level", _("expected one of %(levels)s", levels=", ".join(LEVELS))))
    for col in ("unit_code", "one_stop_code"):
        value = row.get(col, "").upper()
        if value and (not set(value) <= UNIT_CHARS or len(value) > (20 if col == "unit_code" else 40)):
            errors.append(RowError(line, col, _("expected digits, capital letters and dots")))
    days = {}
    for col in ("valid_from", "valid_to"):
        try:
            days[col] = _day(row.get(col, ""))
        except ValueError:
            errors.append(RowError(line, col, _("expected a date as YYYY-MM-DD")))
    if days.get("valid_from") and days.get("valid_to") and days["valid_to"] < days["valid_from"]:
        errors.append(RowError(line, "valid_to", _("must not be before valid_from")))
    return errors


def _day(text: str | None) -> date | None:
    """A date from YYYY-MM-DD; None when blank; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def _unit(text: str | None) -> str | None:
    return (text or "").strip().upper() or None


def import_csv(data: bytes | str, actor: User | None = None) -> tuple[int, int]:
    """Create or update agencies from CSV; all rows or none. Returns (created, updated)."""
    columns, rows = read_rows(data, required=("code", "name_vi", "block"))
    known = set(db.session.scalars(select(Agency.code)))
    parsed, errors, seen = [], [], set()
    for line, row in rows:
        row_errors = _check_row(line, row, seen, known)
        errors.extend(row_errors)
        if not row_errors:
            seen.add(row["code"])
            parsed.append(row)
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected([RowError(2, None, _("the file has no agency rows"))])
    created = updated = 0
    for row in parsed:
        agency = by_code(row["code"])
        values = dict(name_vi=row["name_vi"], name_en=row.get("name_en") or row["name_vi"],
                      block=ensure_block(row["block"], row.get("block_name_vi"), row.get("block_name_en")),
                      parent=by_code(row["parent"]) if row.get("parent") else None,
                      level=(row.get("level") or "department").lower(),
                      unit_code=_unit(row.get("unit_code")), one_stop_code=_unit(row.get("one_stop_code")),
                      valid_from=_day(row.get("valid_from")), valid_to=_day(row.get("valid_to")))
        if agency is not None:  # an update changes the columns the file has, and keeps the others
            values = {k: v for k, v in values.items() if k in columns or k in ("name_vi", "name_en", "block")}
        if agency is None:
            agency = Agency(code=row["code"], **values)
            db.session.add(agency)
            created += 1
        else:
            for key, value in values.items():
                setattr(agency, key, value)
            updated += 1
        db.session.flush()
    audit.record("agency.import", "agency", None, user=actor, after={"created": created, "updated": updated})
    return created, updated


def export_csv() -> str:
    out = io.StringIO()
    writer = cells.writer(out)  # text made inert for spreadsheets
    writer.writerow(COLUMNS)
    for agency in db.session.scalars(select(Agency).order_by(Agency.code)):
        writer.writerow([agency.code, agency.name_vi, agency.name_en, agency.block.code,
                         agency.parent.code if agency.parent else "", agency.level, agency.unit_code or "",
                         agency.one_stop_code or "", _iso(agency.valid_from), _iso(agency.valid_to)])


    return out.getvalue()


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def valid_on(day: date):
    """A WHERE clause: the agency existed on ``day``."""
    return (or_(Agency.valid_from.is_(None), Agency.valid_from <= day)
            & or_(Agency.valid_to.is_(None), Agency.valid_to >= day))


def valid_during(start: date, end: date):
    """A WHERE clause: the agency existed on some day from ``start`` to ``end``."""
    return (or_(Agency.valid_from.is_(None), Agency.valid_from <= end)
            & or_(Agency.valid_to.is_(None), Agency.valid_to >= start))


def search(text: str = "", *, include_inactive: bool = False, page: int = 1) -> Page:
    """Agencies matching ``text``: the active ones valid today, or (include_inactive) all of them,
    history included."""
    query = select(Agency).join(Block, Block.id == Agency.block_id)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Agency.code).like(like), func.lower(Agency.name_vi).like(like),
                                func.lower(Agency.name_en).like(like)))
    if not include_inactive:
        query = query.where(Agency.active.is_(True), valid_on(date.today()))
    return paginate(query.order_by(Block.position, Agency.code), page)


def blocks() -> list[Block]:
    return list(db.session.scalars(select(Block).order_by(Block.position, Block.code)))


def active_agencies(day: date | None = None) -> list[Agency]:
    """The active agencies valid on ``day`` (default today)."""
    return list(db.session.scalars(select(Agency).where(Agency.active.is_(True), valid_on(day or date.today()))
                                   .order_by(Agency.code)))


def selectable() -> list[Agency]:
    """The active agencies, former units included (a wave may be about a period before a
    reorganisation; saving it checks each unit against the period)."""
    return list(db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.code)))


def snapshot(agency: Agency) -> dict:
    return {"code": agency.code, "name_vi": agency.name_vi, "name_en": agency.name_en,
            "block": agency.block.code if agency.block else None,
            "parent": agency.parent.code if agency.parent else None,
            "level": agency.level, "active": agency.active, "unit_code": agency.unit_code,
            "one_stop_code": agency.one_stop_code, "valid_from": _iso(agency.valid_from) or None,
            "valid_to": _iso(agency.valid_to) or None}


def save(agency: Agency | None, *, code: str, name_vi: str, name_en: str, block: str,
         parent: str = "", level: str = "department", unit_code: str = "", one_stop_code: str = "",
         valid_from: date | None = None, valid_to: date | None = None, actor: User | None = None) -> Agency:
    """Create (agency=None) or update an agency; raises Refusal naming the field."""
    code = code.strip()
    if not code or not set(code) <= CODE_CHARS or len(code) > 40:
        raise Refusal("code", _("expected a code of letters, digits, '-', '_' or '.' (≤ 40)"))
    other = by_code(code)
    if other is not None and other is not agency:
        raise Refusal("code", _("an agency with code '%(code)s' already exists", code=code))
    if not name_vi.strip():
        raise Refusal("name_vi", _("must not be empty"))
    if not block.strip():
        raise Refusal("block", _("must not be empty"))
    parent_agency = by_code(parent) if parent else None
    if parent and parent_agency is None:
        raise Refusal("parent", _("unknown agency code '%(parent)s'", parent=parent))
    if parent_agency is not None and agency is not None and _is_descendant(parent_agency, agency):
        raise Refusal("parent", _("an agency cannot be its own parent or descendant"))
    if level not in LEVELS:
        raise Refusal("level", _("expected one of %(levels)s", levels=", ".join(LEVELS)))
    for field, value, width in (("unit_code", unit_code, 20), ("one_stop_code", one_stop_code, 40)):
        if value and (not set(value.strip().upper()) <= UNIT_CHARS or len(value.strip()) > width):
            raise Refusal(field, _("expected digits, capital letters and dots"))
    if valid_from and valid_to and valid_to < valid_from:
        raise Refusal("valid_to", _("must not be before valid_from"))
    before = snapshot(agency) if agency is not None else None
    if agency is None:
        agency = Agency(code=code, name_vi="", name_en="", block=ensure_block(block.strip()))
        db.session.add(agency)
    agency.code, agency.name_vi = code, name_vi.strip()
    agency.name_en = name_en.strip() or name_vi.strip()
    agency.block = ensure_block(block.strip())
    agency.parent, agency.level = parent_agency, level
    agency.unit_code, agency.one_stop_code = _unit(unit_code), _unit(one_stop_code)
    agency.valid_from, agency.valid_to = valid_from, valid_to
    db.session.flush()
    audit.record("agency.create" if before is None else "agency.update", "agency", agency.code,
                 user=actor, before=before, after=snapshot(agency))
    return agency


def _is_descendant(candidate: Agency, agency: Agency) -> bool:
    node, steps = candidate, 0
    while node is not None and steps < 20:
        if node is agency:
            return True
        node, steps = node.parent, steps + 1
    return False


def set_active(agency: Agency, active: bool, actor: User | None = None) -> None:
    if agency.active == active:
        return
    before = snapshot(agency)
    agency.active = active
    db.session.flush()
    audit.record("agency.activate" if active else "agency.deactivate", "agency", agency.code,
                 user=actor, before=before, after=snapshot(agency))
