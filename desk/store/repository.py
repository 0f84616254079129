"""Reading and writing complaints, their people and their timers, on one connection.

The unit of work (uow.py) owns the transaction; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, select, update

from desk.errors import ConcurrentUpdate, NotFound
from desk.store.codec import plain, restore, to_record
from desk.store.tables import approvals as A
from desk.store.tables import complainants, counters
from desk.store.tables import complaints as C
from desk.store.tables import events as E
from desk.store.tables import handoffs as H
from desk.store.tables import timers as T
from states import Complaint


@dataclass
class Loaded:
    """A complaint as read, with what is needed to write back only what changed."""

    complaint: Complaint
    id: int
    version: int
    events_stored: int
    handoffs_stored: int
    approvals_stored: dict[int, str] = field(default_factory=dict)  # approval no -> status


class Complaints:
    def __init__(self, connection: Connection) -> None:
        self.db = connection

    def next_number(self, year: int) -> str:
        name = f"TS-{year}"
        bumped = self.db.execute(
            update(counters).where(counters.c.name == name)
            .values(value=counters.c.value + 1).returning(counters.c.value)
        ).scalar()
        if bumped is None:
            self.db.execute(insert(counters).values(name=name, value=1))
            bumped = 1
        return f"{name}-{bumped:06d}"

    def number_for_key(self, key: str) -> str | None:
        return self.db.execute(select(C.c.number).where(C.c.idempotency_key == key)).scalar()

    def add(self, c: Complaint, complainant: dict[str, Any], key: str | None, now: datetime) -> int:
        complaint_id: int = self.db.execute(
            insert(C).values(**_columns(c), idempotency_key=key, version=1, received_at=c.received_at,
                             updated_at=now).returning(C.c.id)
        ).scalar_one()
        self.db.execute(insert(complainants).values(complaint_id=complaint_id, **complainant))
        self._append(complaint_id, c, Loaded(c, complaint_id, 1, 0, 0))
        return complaint_id

    def get(self, number: str, *, for_update: bool = False) -> Loaded:
        return self._load(C.c.number == number, f"no complaint {number}", for_update)

    def get_by_id(self, complaint_id: int) -> Loaded:
        return self._load(C.c.id == complaint_id, f"no complaint with id {complaint_id}", False)

    def _load(self, where: Any, missing: str, for_update: bool) -> Loaded:
        query = select(C).where(where)
        if for_update and self.db.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.db.execute(query).mappings().first()
        if row is None:
            raise NotFound(missing)
        cid = row["id"]
        events = self.db.execute(select(E).where(E.c.complaint_id == cid).order_by(E.c.seq)).mappings().all()
        handoffs = self.db.execute(select(H).where(H.c.complaint_id == cid).order_by(H.c.seq)).mappings().all()
        approvals = self.db.execute(
            select(A).where(A.c.complaint_id == cid).order_by(A.c.approval_no)
        ).mappings().all()
        complaint = restore(dict(row), [dict(e) for e in events], [dict(h) for h in handoffs],
                            [dict(a) for a in approvals])
        return Loaded(complaint, cid, row["version"], len(events), len(handoffs),
                      {a["approval_no"]: a["status"] for a in approvals})

    def save(self, loaded: Loaded, now: datetime) -> int:
        """Writes state, record and new rows; refuses when someone else saved in between."""
        c = loaded.complaint
        result = self.db.execute(
            update(C).where(and_(C.c.id == loaded.id, C.c.version == loaded.version))
            .values(**_columns(c), version=loaded.version + 1, updated_at=now)
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(
                f"{c.number} was changed by someone else while you worked on it "
                f"(you had version {loaded.version}); nothing was saved: look again and retry"
            )
        self._append(loaded.id, c, loaded)
        return loaded.version + 1

    def _append(self, complaint_id: int, c: Complaint, loaded: Loaded) -> None:
        new_events = c.events[loaded.events_stored:]
        if new_events:
            self.db.execute(insert(E), [
                {"complaint_id": complaint_id, "seq": loaded.events_stored + i + 1, "name": e.name,
                 "trigger": e.trigger, "source": e.source, "dest": e.dest, "actor": e.actor, "at": e.at,
                 "data": plain(dict(e.data))}
                for i, e in enumerate(new_events)
            ])
        new_handoffs = c.handoffs[loaded.handoffs_stored:]
        if new_handoffs:
            self.db.execute(insert(H), [
                {"complaint_id": complaint_id, "seq": loaded.handoffs_stored + i + 1, "from_handler": h.from_handler,
                 "to_handler": h.to_handler, "to_department": h.to_department, "reason": h.reason,
                 "actor": h.actor, "at": h.at, "bounce": h.bounce}
                for i, h in enumerate(new_handoffs)
            ])
        for a in c.approvals:
            before = loaded.approvals_stored.get(a.id)
            values = {"status": a.status.value, "decided_at": a.decided_at, "note": a.note}
            if before is None:
                self.db.execute(insert(A).values(
                    complaint_id=complaint_id, approval_no=a.id, action=a.action, amount=a.amount,
                    requested_by=a.requested_by, approver=a.approver, requested_at=a.requested_at, **values))
            elif before != a.status.value:
                self.db.execute(update(A).where(and_(A.c.complaint_id == complaint_id, A.c.approval_no == a.id))
                                .values(**values))

    def complainant(self, complaint_id: int) -> dict[str, Any]:
        row = self.db.execute(
            select(complainants).where(complainants.c.complaint_id == complaint_id)
        ).mappings().first()
        return dict(row) if row else {}


def _columns(c: Complaint) -> dict[str, Any]:
    return {
        "number": c.number, "family": c.family.value, "type": c.type, "tier": c.tier, "status": c.status,
        "first_responder": c.first_responder, "handler": c.handler, "department": c.department,
        "channel": c.channel, "policy_version": c.policy_version, "round": c.round,
        "reopen_count": c.reopen_count, "record": to_record(c),
    }


class Timers:
    def __init__(self, connection: Connection) -> None:
        self.db = connection

    def of(self, complaint_id: int) -> Sequence[Row[Any]]:
        return self.db.execute(select(T).where(T.c.complaint_id == complaint_id)).all()

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            self.db.execute(insert(T), rows)

    def finish(self, ids: Iterable[int], now: datetime) -> None:
        ids = list(ids)
        if ids:
            self.db.execute(update(T).where(and_(T.c.id.in_(ids), T.c.done_at.is_(None))).values(done_at=now))

    def due(self, now: datetime, limit: int) -> Sequence[Row[Any]]:
        """Pending timers due by `now`, oldest first: a range scan over the pending index.
        On PostgreSQL, rows another sweeper holds are skipped, so sweepers share the work."""
        query = (select(T).where(and_(T.c.fired_at.is_(None), T.c.done_at.is_(None), T.c.due_at <= now))
                 .order_by(T.c.due_at).limit(limit))
        if self.db.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return self.db.execute(query).all()

    def fire(self, timer_id: int, now: datetime) -> bool:
        """Marks one timer fired; False when it already was (it fires exactly once)."""
        result = self.db.execute(update(T).where(and_(T.c.id == timer_id, T.c.fired_at.is_(None)))
                                 .values(fired_at=now))
        return result.rowcount == 1

    def next_due_at(self) -> datetime | None:
        return self.db.execute(
            select(func.min(T.c.due_at)).where(and_(T.c.fired_at.is_(None), T.c.done_at.is_(None)))
        ).scalar()
