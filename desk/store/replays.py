"""What-if replays asked from the console: the request, its progress and its result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from desk.store.tables import replays as R


def add(db: Connection, *, family: str, days: int, draft: str, requested_by: str, requested_at: datetime) -> int:
    found = db.execute(insert(R).returning(R.c.id), {
        "family": family, "days": days, "draft": draft, "requested_by": requested_by,
        "requested_at": requested_at, "status": "queued", "done": 0, "total": 0}).scalar_one()
    return int(found)


def get(db: Connection, replay_id: int) -> dict[str, Any] | None:
    row = db.execute(select(R).where(R.c.id == replay_id)).mappings().first()
    return dict(row) if row else None


def change(db: Connection, replay_id: int, **values: Any) -> None:
    db.execute(update(R).where(R.c.id == replay_id).values(**values))
