"""What a what-if replay reads: one family's complaints received in a window, with the events
recorded for them, in batches by id (memory follows the batch, not the window).

Only what the replay needs leaves the database: numbers, states, policy versions and the
audit trail (names of events, states, staff ids, times, classification data). The
complainants table is never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, func, select

from desk.store.tables import complaints as C
from desk.store.tables import events as E
from states import DomainEvent

IN_WINDOW = and_(C.c.family == bindparam("family"), C.c.received_at >= bindparam("since"),
                 C.c.received_at <= bindparam("until"))
COUNT = select(func.count()).select_from(C).where(IN_WINDOW)
# Keyset paging on the primary key: each batch starts where the last ended, so a long window
# costs one pass over the table, not a growing OFFSET.
CASES = (select(C.c.id, C.c.number, C.c.policy_version).where(and_(IN_WINDOW, C.c.id > bindparam("after")))
         .order_by(C.c.id).limit(bindparam("n")))
# Escalations the sweep recorded are what the old ladder did: an outcome of the replay, not an
# input to it, so they are left in the database.
EVENTS = (select(E.c.complaint_id, E.c.name, E.c.trigger, E.c.source, E.c.dest, E.c.actor, E.c.at, E.c.data)
          .where(and_(E.c.complaint_id.in_(bindparam("cids", expanding=True)), E.c.trigger != "escalate"))
          .order_by(E.c.complaint_id, E.c.seq))


@dataclass(frozen=True, slots=True)
class Recorded:
    """A complaint as its audit trail tells it."""

    id: int
    number: str
    policy_version: str | None  # the version it was classified under (None: never classified)
    events: list[DomainEvent] = field(default_factory=list)


def count_received(db: Connection, family: str, since: datetime, until: datetime) -> int:
    return int(db.execute(COUNT, {"family": family, "since": since, "until": until}).scalar_one())


def received_batch(db: Connection, family: str, since: datetime, until: datetime, *, after: int = 0,
                   batch: int = 500) -> list[Recorded]:
    """Up to `batch` complaints of the window with ids above `after`, in id order, each with its
    events in the order they were recorded. Call again with the last id for the next batch."""
    found = [Recorded(row.id, row.number, row.policy_version) for row in db.execute(
        CASES, {"family": family, "since": since, "until": until, "after": after, "n": batch})]
    if not found:
        return found
    by_id = {r.id: r for r in found}
    for row in db.execute(EVENTS, {"cids": list(by_id)}):
        by_id[row.complaint_id].events.append(DomainEvent(
            name=row.name, trigger=row.trigger, source=row.source, dest=row.dest, actor=row.actor, at=row.at,
            data=dict(row.data or {})))
    return found

