"""Reading complaints in pages for `desk export`: ids in filing order, and the complainants of
a page in one read. Pages keep the memory of an export flat however many complaints there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from desk.store.tables import complainants as P
from desk.store.tables import complaints as C
from desk.store.tables import refusals as R


@dataclass(frozen=True)
class Selection:
    """Which complaints an export takes: one family or both, received since a moment or ever."""

    family: str | None = None
    since: datetime | None = None

    def condition(self) -> Any:
        parts = []
        if self.family:
            parts.append(C.c.family == self.family)
        if self.since:
            parts.append(C.c.received_at >= self.since)
        return and_(True, *parts)


def count(db: Connection, selection: Selection) -> int:
    return db.execute(select(func.count()).select_from(C).where(selection.condition())).scalar_one()


def page(db: Connection, selection: Selection, after_id: int, size: int) -> list[int]:
    """The next `size` complaint ids after `after_id` (ids grow with filing: a stable order)."""
    query = select(C.c.id).where(and_(selection.condition(), C.c.id > after_id)).order_by(C.c.id).limit(size)
    return list(db.execute(query).scalars())


def complainants_of(db: Connection, complaint_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = db.execute(select(P).where(P.c.complaint_id.in_(complaint_ids))).mappings()
    return {row["complaint_id"]: dict(row) for row in rows}


def refusals_of(db: Connection, complaint_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The refused triggers of a page of complaints, oldest first."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = db.execute(select(R).where(R.c.complaint_id.in_(complaint_ids)).order_by(R.c.id)).mappings()
    for row in rows:
        found.setdefault(row["complaint_id"], []).append(dict(row))
    return found
