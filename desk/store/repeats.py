"""The same complainant's other complaints: the intake form's hint that this may be a repeat
(the seeds' 重复投诉), matched on the phone when one is given, else on the exact name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select

from desk.store.queries import OPEN
from desk.store.tables import complainants as P
from desk.store.tables import complaints as C


def same_complainant(db: Connection, *, phone: str | None, name: str | None, since: datetime,
                     limit: int = 10) -> list[dict[str, Any]]:
    """Open complaints of this complainant, and those received since `since`, newest first."""
    if phone:
        who = P.c.phone == phone
    elif name:
        who = P.c.name == name
    else:
        return []
    query = (select(C.c.number, C.c.status, C.c.received_at, C.c.family)
             .join(P, P.c.complaint_id == C.c.id)
             .where(who, or_(OPEN, C.c.received_at >= since))
             .order_by(C.c.received_at.desc()).limit(limit))
    return [dict(row) for row in db.execute(query).mappings()]
