"""A page of rows: the one paginator of every list (agencies, responses, comments, the audit log)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from app.extensions import db

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


def paginate(query: Select, page: int, size: int = PAGE_SIZE, *, scalars: bool = True) -> Page:
    """Rows `page` (from 1) of an ordered query, with the total count; a page past the end is empty."""
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = query.offset((page - 1) * size).limit(size)
    items = db.session.scalars(rows).all() if scalars else db.session.execute(rows).all()
    return Page(list(items), total, page, size)
