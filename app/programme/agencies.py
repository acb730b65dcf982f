"""Agencies as administrators manage them: search, create, edit, deactivate (audit-logged)."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Agency, Block, User
from app.shared import audit, cells
from app.shared.csvio import ImportRejected, RowError, read_rows
from app.shared.paging import Page, paginate
from app.shared.refusal import Refusal

COLUMNS = ("code", "name_vi", "name_en", "block", "parent", "level")
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
    if level and not (level.isdigit() and 1 <= int(level) <= 9):
        errors.append(RowError(line, "level", _("expected a whole number from 1 to 9")))
    return errors


def import_csv(data: bytes | str, actor: User | None = None) -> tuple[int, int]:
    """Create or update agencies from CSV; all rows or none. Returns (created, updated)."""
    _columns, rows = read_rows(data, required=("code", "name_vi", "block"))
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
                      level=int(row.get("level") or 1))
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
                         agency.parent.code if agency.parent else "", agency.level])
    return out.getvalue()


def search(text: str = "", *, include_inactive: bool = False, page: int = 1) -> Page:
    query = select(Agency).join(Block, Block.id == Agency.block_id)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Agency.code).like(like), func.lower(Agency.name_vi).like(like),
                                func.lower(Agency.name_en).like(like)))
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    return paginate(query.order_by(Block.position, Agency.code), page)


def blocks() -> list[Block]:
    return list(db.session.scalars(select(Block).order_by(Block.position, Block.code)))


def active_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.code)))


def snapshot(agency: Agency) -> dict:
    return {"code": agency.code, "name_vi": agency.name_vi, "name_en": agency.name_en,
            "block": agency.block.code if agency.block else None,
            "parent": agency.parent.code if agency.parent else None,
            "level": agency.level, "active": agency.active}


def save(agency: Agency | None, *, code: str, name_vi: str, name_en: str, block: str,
         parent: str = "", level: int = 1, actor: User | None = None) -> Agency:
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
    if not 1 <= level <= 9:
        raise Refusal("level", _("expected a whole number from 1 to 9"))
    before = snapshot(agency) if agency is not None else None
    if agency is None:
        agency = Agency(code=code, name_vi="", name_en="", block=ensure_block(block.strip()))
        db.session.add(agency)
    agency.code, agency.name_vi = code, name_vi.strip()
    agency.name_en = name_en.strip() or name_vi.strip()
    agency.block = ensure_block(block.strip())
    agency.parent, agency.level = parent_agency, level
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
