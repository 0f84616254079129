"""Refused triggers, kept for the complaint's record: who asked for what, and why not."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from desk.store.tables import refusals as R

OF_COMPLAINT = select(R).where(R.c.complaint_id == bindparam("cid")).order_by(R.c.id)


class Refusals:
    def __init__(self, connection: Connection) -> None:
        self.db = connection

    def add(self, *, complaint_id: int, trigger: str, actor: str, at: datetime, kind: str, status: str,
            reason: str) -> None:
        self.db.execute(insert(R), {"complaint_id": complaint_id, "trigger": trigger, "actor": actor, "at": at,
                                    "kind": kind, "status": status, "reason": reason[:2000]})

    def of(self, complaint_id: int) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(OF_COMPLAINT, {"cid": complaint_id}).mappings()]
