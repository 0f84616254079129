"""Queries behind the operations pages and the managers' reports: what the sweeps will fire and
have fired, what the outbox owes, and the rows reports are counted from.

Complaint numbers, person ids, tiers and times only: nothing here reads the complainants table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, or_, select

from desk.lanes import ESCALATION_KINDS, Lane
from desk.store.repository import in_lane
from desk.store.tables import complaints as C
from desk.store.tables import events as E
from desk.store.tables import handoffs as H
from desk.store.tables import outbox as O
from desk.store.tables import timers as T
from states import TERMINAL

DEADLINE_KINDS = ("stage_deadline", "evidence_deadline")  # the rows holding a stage's due time (desk.timers)


def scheduled_by_level(db: Connection, lane: Lane, now: datetime, hour_end: datetime,
                       day_end: datetime) -> list[dict[str, Any]]:
    """The lane's pending timers due by `day_end`, counted by kind and level: already due, due
    within the hour, within the day (which includes the hour). One range of the lane's index."""
    due = T.c.due_at
    query = (select(T.c.kind, T.c.level,
                    func.count().filter(due <= now).label("due_now"),
                    func.count().filter(and_(due > now, due <= hour_end)).label("within_hour"),
                    func.count().filter(due > now).label("within_day"))
             .where(and_(in_lane(lane), due <= day_end))
             .group_by(T.c.kind, T.c.level).order_by(T.c.level, T.c.kind))
    return [dict(row) for row in db.execute(query).mappings()]


def fired_since(db: Connection, since: dict[str, datetime], kinds: Sequence[str] = ESCALATION_KINDS,
                limit: int = 500) -> tuple[list[dict[str, Any]], int]:
    """Timers of `kinds` fired since a moment per family (its day's start in its zone), newest
    first (then by number and level: one sweep fires many at one moment), up to `limit`; and how
    many there are in all."""
    if not since:
        return [], 0
    fired = and_(T.c.fired_at >= min(since.values()), T.c.kind.in_(kinds),
                 or_(*(and_(C.c.family == family, T.c.fired_at >= start) for family, start in since.items())))
    rows = db.execute(
        select(C.c.number, C.c.family, T.c.tier, T.c.kind, T.c.stage, T.c.level, T.c.round, T.c.due_at,
               T.c.fired_at, T.c.fired_by_run, T.c.detail)
        .join(C, C.c.id == T.c.complaint_id).where(fired)
        .order_by(T.c.fired_at.desc(), C.c.number, T.c.level, T.c.kind).limit(limit)
    ).mappings().all()
    total = db.execute(select(func.count()).select_from(T).join(C, C.c.id == T.c.complaint_id).where(fired))
    return [dict(row) for row in rows], int(total.scalar_one())


# -- the outbox -----------------------------------------------------------------------------------

Show = Literal["owed", "failed", "retried", "all"]
OWED = O.c.delivered_at.is_(None)
FAILED = and_(OWED, O.c.last_error.is_not(None))
SHOWN: dict[str, Any] = {"owed": OWED, "failed": FAILED, "retried": O.c.retried_at.is_not(None), "all": True}
ORDER: dict[str, Any] = {"owed": (O.c.created_at, O.c.id), "failed": (O.c.created_at, O.c.id),
                         "retried": (O.c.retried_at.desc(), O.c.id.desc()), "all": (O.c.id.desc(),)}


def outbox_rows(db: Connection, show: Show, limit: int) -> list[dict[str, Any]]:
    """Notices as operations see them (no payload, no contact): owed ones oldest first, retried
    ones latest retry first, all of them newest first."""
    query = (select(O.c.id, O.c.number, O.c.tier, O.c.kind, O.c.recipient, O.c.attempts, O.c.last_error,
                    O.c.next_attempt_at, O.c.created_at, O.c.delivered_at, O.c.gave_up_at, O.c.retried_at,
                    O.c.retried_by)
             .where(SHOWN[show]).order_by(*ORDER[show]).limit(limit))
    return [dict(row) for row in db.execute(query).mappings()]


def outbox_counts(db: Connection) -> dict[str, int]:
    """Owed notices by what became of them (pending, retrying, failed), and those operators retried."""
    owed = db.execute(select(
        func.count().filter(O.c.last_error.is_(None)).label("pending"),
        func.count().filter(and_(O.c.last_error.is_not(None), O.c.gave_up_at.is_(None))).label("retrying"),
        func.count().filter(O.c.gave_up_at.is_not(None)).label("failed"),
    ).where(OWED)).mappings().one()
    retried = db.execute(select(func.count()).select_from(O).where(O.c.retried_at.is_not(None))).scalar_one()
    return {**{key: int(n) for key, n in owed.items()}, "retried": int(retried)}


# -- reports --------------------------------------------------------------------------------------

def _of_family(family: str | None) -> Any:
    return True if family is None else C.c.family == family


def with_deadlines_due(db: Connection, family: str | None, start: datetime, end: datetime, after_id: int,
                       size: int) -> list[int]:
    """The next `size` complaint ids after `after_id` with a stage deadline due in [start, end)."""
    due = (select(T.c.complaint_id).where(and_(T.c.kind.in_(DEADLINE_KINDS), T.c.due_at >= start,
                                                T.c.due_at < end)))
    query = (select(C.c.id).where(and_(_of_family(family), C.c.id > after_id, C.c.id.in_(due)))
             .order_by(C.c.id).limit(size))
    return list(db.execute(query).scalars())


REVISITS = ("Revisited", "RevisitUnreached")


def revisits(db: Connection, family: str | None, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Callbacks recorded in [start, end): when, and whether the complainant was reached and satisfied."""
    rows = db.execute(
        select(E.c.name, E.c.at, E.c.data).join(C, C.c.id == E.c.complaint_id)
        .where(and_(_of_family(family), E.c.name.in_(REVISITS), E.c.at >= start, E.c.at < end))
    ).mappings().all()
    return [{"at": r["at"], "outcome": (r["data"] or {}).get("outcome") if r["name"] == "Revisited" else "unreachable"}
            for r in rows]


def answers_and_reopenings(db: Connection, family: str | None, start: datetime,
                           end: datetime) -> list[dict[str, Any]]:
    """For the complaints answered (FedBack) in [start, end): their answers and reopenings from
    `start` on, until now, in order per complaint; whether an answer was reopened is what follows it."""
    answered = select(E.c.complaint_id).where(and_(E.c.name == "FedBack", E.c.at >= start, E.c.at < end))
    rows = db.execute(
        select(E.c.complaint_id, E.c.name, E.c.at).join(C, C.c.id == E.c.complaint_id)
        .where(and_(_of_family(family), E.c.complaint_id.in_(answered), E.c.name.in_(("FedBack", "Reopened")),
                    E.c.at >= start))
        .order_by(E.c.complaint_id, E.c.seq)
    ).mappings().all()
    return [dict(row) for row in rows]


def owned_by_first_responder(db: Connection, family: str | None, start: datetime,
                             end: datetime) -> dict[str, dict[str, int]]:
    """Per first responder: complaints received in [start, end), how many of them are still open,
    and the bounced hand-offs in [start, end) on complaints they own."""
    found: dict[str, dict[str, int]] = {}
    received = and_(_of_family(family), C.c.received_at >= start, C.c.received_at < end)
    for person, owned, still_open in db.execute(
            select(C.c.first_responder, func.count(), func.count().filter(C.c.status.not_in(TERMINAL)))
            .where(received).group_by(C.c.first_responder)):
        found[person] = {"owned": int(owned), "open": int(still_open), "bounces": 0}
    for person, bounces in db.execute(
            select(C.c.first_responder, func.count()).join(H, H.c.complaint_id == C.c.id)
            .where(and_(_of_family(family), H.c.bounce, H.c.at >= start, H.c.at < end))
            .group_by(C.c.first_responder)):
        found.setdefault(person, {"owned": 0, "open": 0, "bounces": 0})["bounces"] = int(bounces)
    return found
