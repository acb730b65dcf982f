"""Agencies as administrators manage them: search, create, edit, deactivate (audit-logged)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Agency, Block, User
from app.services import audit
from app.services.admin_errors import AdminError
from app.services.agencies import CODE_CHARS, by_code, ensure_block

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def search(text: str = "", *, include_inactive: bool = False, page: int = 1) -> Page:
    query = select(Agency).join(Block, Block.id == Agency.block_id)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Agency.code).like(like), func.lower(Agency.name_vi).like(like),
                                func.lower(Agency.name_en).like(like)))
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    items = db.session.scalars(query.order_by(Block.position, Agency.code)
                               .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return Page(list(items), total or 0, page)


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
    """Create (agency=None) or update an agency; raises AdminError naming the field."""
    code = code.strip()
    if not code or not set(code) <= CODE_CHARS or len(code) > 40:
        raise AdminError("code", _("expected a code of letters, digits, '-', '_' or '.' (≤ 40)"))
    other = by_code(code)
    if other is not None and other is not agency:
        raise AdminError("code", _("an agency with code '%(code)s' already exists", code=code))
    if not name_vi.strip():
        raise AdminError("name_vi", _("must not be empty"))
    if not block.strip():
        raise AdminError("block", _("must not be empty"))
    parent_agency = by_code(parent) if parent else None
    if parent and parent_agency is None:
        raise AdminError("parent", _("unknown agency code '%(parent)s'", parent=parent))
    if parent_agency is not None and agency is not None and _is_descendant(parent_agency, agency):
        raise AdminError("parent", _("an agency cannot be its own parent or descendant"))
    if not 1 <= level <= 9:
        raise AdminError("level", _("expected a whole number from 1 to 9"))
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
