"""What owners asked of leaders and wait for (referrals, extensions to decide), by person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, update

from desk.store.tables import asks as K


class Asks:
    def __init__(self, connection: Connection) -> None:
        self.db = connection

    def open(self, rows: Iterable[dict[str, Any]]) -> None:
        """Rows of complaint_id, kind, ask_no, person, about, asked_by, asked_at."""
        rows = list(rows)
        if rows:
            self.db.execute(insert(K), rows)

    def answer(self, complaint_id: int, kind: str, ask_no: int, now: datetime) -> None:
        """Closes the ask for everyone it was put to: one of them answered, or decided."""
        self.db.execute(update(K).where(and_(K.c.complaint_id == complaint_id, K.c.kind == kind,
                                             K.c.ask_no == ask_no, K.c.answered_at.is_(None)))
                        .values(answered_at=now))
