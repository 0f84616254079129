"""Read models for people: lists, the board, someone's tasks. Only numbers and masked personal data
leave here; full personal details are read one complaint at a time (`Complaints.complainant`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select

from desk.lanes import Lane, Schedule
from desk.store.repository import in_lane
from desk.store.tables import approvals as A
from desk.store.tables import asks as K
from desk.store.tables import complainants as P
from desk.store.tables import complaints as C
from desk.store.tables import events as E
from desk.store.tables import handoffs as H
from desk.store.tables import timers as T
from states import TERMINAL, Family, states_of

# Named, not "not terminal": an index on status then reads only the open complaints' entries, a
# few ranges, instead of every complaint ever received (most of them closed).
OPEN_STATES = tuple(sorted({state for family in Family for state in states_of(family)} - set(TERMINAL)))
OPEN = C.c.status.in_(OPEN_STATES)
UNMET = and_(T.c.done_at.is_(None), T.c.complaint_id == C.c.id)
RUNNING = and_(UNMET, T.c.held_since.is_(None))  # a paused deadline is neither overdue nor next


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    tier: str | None = None
    family: str | None = None
    handler: str | None = None
    overdue: bool = False
    limit: int = 200
    sort: str = "received"  # newest first; "breach": soonest deadline first, none last
    source: str | None = None
    after_key: str | None = None  # keyset pagination: the sort key and id of the last row shown
    after_id: int | None = None


def _overdue(now: datetime) -> Any:
    return exists().where(and_(RUNNING, T.c.kind == "stage_deadline", T.c.due_at <= now))


def _next_due() -> Any:
    return (select(func.min(T.c.due_at)).where(and_(RUNNING, T.c.kind.in_(("stage_deadline", "evidence_deadline"))))
            .scalar_subquery())


def _paused() -> Any:
    """Whether a pause holds one of the complaint's deadlines now (an index on complaint and done)."""
    return exists().where(and_(UNMET, T.c.held_since.is_not(None)))


def _level() -> Any:
    """The highest escalation level fired for the complaint's open stages."""
    return (select(func.max(T.c.level)).where(and_(UNMET, T.c.kind == "escalation", T.c.fired_at.is_not(None)))
            .scalar_subquery())


def list_complaints(db: Connection, filters: Filters, now: datetime) -> list[dict[str, Any]]:
    """Up to `limit + 1` rows (the extra one says another page follows), each with its `id` and
    `sort_key` for the next page's cursor."""
    next_due = _next_due()
    query = (
        select(C.c.id, C.c.number, C.c.family, C.c.type, C.c.tier, C.c.status, C.c.handler, C.c.first_responder,
               C.c.received_at, C.c.reopen_count, P.c.name, P.c.phone, next_due.label("next_due"),
               _overdue(now).label("overdue"), _level().label("level"))
        .join(P, P.c.complaint_id == C.c.id)
        .limit(filters.limit + 1)
    )
    for column, value in (("status", filters.state), ("tier", filters.tier), ("family", filters.family),
                          ("handler", filters.handler), ("source", filters.source)):
        if value:
            query = query.where(C.c[column] == value)
    if filters.overdue:
        query = query.where(_overdue(now))
    key = None if filters.after_key is None else datetime.fromisoformat(filters.after_key)
    if filters.sort == "breach":
        query = query.order_by(next_due.is_(None), next_due, C.c.id)
        if filters.after_id is not None:
            query = query.where(
                and_(next_due.is_(None), C.c.id > filters.after_id) if key is None else
                or_(next_due > key, and_(next_due == key, C.c.id > filters.after_id), next_due.is_(None)))
    else:
        query = query.order_by(C.c.received_at.desc(), C.c.id.desc())
        if filters.after_id is not None and key is not None:
            query = query.where(or_(C.c.received_at < key, and_(C.c.received_at == key, C.c.id < filters.after_id)))
    rows = [dict(row) for row in db.execute(query).mappings()]
    for row in rows:
        moment = row["next_due"] if filters.sort == "breach" else row["received_at"]
        row["sort_key"] = moment.isoformat() if moment else None
    return rows


def receipt(db: Connection, number: str) -> dict[str, Any] | None:
    row = db.execute(select(C.c.number, C.c.family, C.c.channel, C.c.received_at, C.c.first_responder, C.c.source,
                            C.c.external_id).where(C.c.number == number)).mappings().first()
    return dict(row) if row else None


def board(db: Connection, now: datetime) -> dict[str, Any]:
    by_state = db.execute(select(C.c.tier, C.c.status, func.count()).group_by(C.c.tier, C.c.status)).all()
    overdue = db.execute(select(C.c.tier, func.count()).where(and_(OPEN, _overdue(now))).group_by(C.c.tier)).all()
    # From the fired escalations up, not a correlated max() for every open complaint: on
    # PostgreSQL that subquery ran twice per open complaint and was most of the board's time.
    highest = (select(T.c.complaint_id, func.max(T.c.level).label("level"))
               .join(C, C.c.id == T.c.complaint_id)
               .where(and_(OPEN, T.c.done_at.is_(None), T.c.kind == "escalation", T.c.fired_at.is_not(None)))
               .group_by(T.c.complaint_id).subquery())
    levels = db.execute(select(highest.c.level, func.count()).group_by(highest.c.level)).all()
    return {
        "by_tier_and_state": [{"tier": t, "state": s, "count": n} for t, s, n in by_state],
        "overdue_by_tier": {t: n for t, n in overdue},  # None: not classified yet
        "open_by_escalation_level": {int(lv): n for lv, n in levels},
        "open": sum(n for _, s, n in by_state if s not in TERMINAL),
        "total": sum(n for _, _, n in by_state),
    }


def tasks(db: Connection, person: str, callback_roles: dict[str, list[str]], now: datetime) -> dict[str, Any]:
    """What waits on `person`: complaints they handle or own, callbacks due, approvals, referrals and
    extensions asked of them.
    `callback_roles` maps a family to the roles that person has for callbacks (first_responder, quality_team...)."""
    mine = db.execute(
        select(C.c.number, C.c.family, C.c.tier, C.c.status, C.c.handler, C.c.first_responder,
               _next_due().label("next_due"), _overdue(now).label("overdue"), _paused().label("paused"))
        .where(and_(OPEN, or_(C.c.handler == person, C.c.first_responder == person)))
    ).all()
    callbacks = []
    for family, roles in callback_roles.items():
        if not roles:
            continue
        condition = C.c.family == family
        if roles == ["first_responder"]:
            condition = and_(condition, C.c.first_responder == person)
        rows = db.execute(
            select(C.c.number, C.c.tier, T.c.level.label("attempt"), T.c.due_at)
            .join(T, T.c.complaint_id == C.c.id)
            .where(and_(condition, C.c.status == "fed_back", T.c.kind == "revisit", T.c.done_at.is_(None)))
            .order_by(T.c.due_at)
        ).mappings().all()
        seen: set[str] = set()
        for row in rows:  # the next attempt of each complaint
            if row["number"] not in seen:
                seen.add(row["number"])
                callbacks.append(dict(row))
    asked = db.execute(
        select(C.c.number, A.c.approval_no, A.c.action, A.c.amount, A.c.requested_by, A.c.requested_at,
               A.c.signed_by)
        .join(C, C.c.id == A.c.complaint_id)
        .where(and_(or_(A.c.approver == person, A.c.cosigner == person), A.c.status == "pending"))
        .order_by(A.c.requested_at)
    ).mappings().all()
    approvals = [{k: v for k, v in r.items() if k != "signed_by"} for r in asked
                 if person not in (r["signed_by"] or [])]  # signed already: waiting for the other
    # Referrals to answer and extensions to decide: few per leader, found by the (person, answered_at) index.
    put = db.execute(
        select(C.c.number, C.c.tier, K.c.kind, K.c.ask_no, K.c.about, K.c.asked_by, K.c.asked_at)
        .join(C, C.c.id == K.c.complaint_id)
        .where(and_(K.c.person == person, K.c.answered_at.is_(None), OPEN))
        .order_by(K.c.asked_at)
    ).mappings().all()
    return {
        # Row._asdict, not dict(RowMapping): the latter builds the row's keys anew for each row,
        # which was most of a 2,500-complaint queue's time.
        "complaints": sorted((r._asdict() for r in mine), key=lambda r: (r["next_due"] is None, r["next_due"] or now)),
        "callbacks": sorted(callbacks, key=lambda r: r["due_at"]),
        "approvals": approvals,
        "asks": [dict(r) for r in put],
    }


def on_other_versions(db: Connection, family: str, version: str) -> list[tuple[str, str]]:
    """(number, version) of open, classified complaints of a family that follow another
    version of its policy than `version`, oldest first."""
    query = (select(C.c.number, C.c.policy_version)
             .where(C.c.family == family, C.c.policy_version.is_not(None), C.c.policy_version != version,
                    C.c.status.not_in(TERMINAL))
             .order_by(C.c.id))
    return [(row.number, row.policy_version) for row in db.execute(query)]


def timers_of(db: Connection, complaint_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in db.execute(
        select(T).where(T.c.complaint_id == complaint_id).order_by(T.c.due_at, T.c.level)).mappings()]


def daily_report(db: Connection, family: str, since: datetime, now: datetime) -> dict[str, Any]:
    """What a manager reads each morning, for one family: deadlines that fell due in the window
    (met in time or missed, by tier and stage), overdue now, escalations by level, reopen and
    satisfaction rates, and the first responders' accountability board."""
    of_family = C.c.family == family
    sla = db.execute(
        select(C.c.tier, T.c.stage,
               func.count().filter(and_(T.c.fired_at.is_(None), T.c.done_at.is_not(None))).label("met"),
               func.count().filter(T.c.fired_at.is_not(None)).label("missed"),
               func.count().filter(and_(T.c.fired_at.is_(None), T.c.done_at.is_(None))).label("open"))
        .join(C, C.c.id == T.c.complaint_id)
        .where(and_(of_family, T.c.kind == "stage_deadline", T.c.due_at >= since, T.c.due_at <= now))
        .group_by(C.c.tier, T.c.stage).order_by(C.c.tier, T.c.stage)
    ).mappings().all()
    escalations = db.execute(
        select(T.c.level, func.count()).join(C, C.c.id == T.c.complaint_id)
        .where(and_(of_family, T.c.kind == "escalation", T.c.fired_at >= since, T.c.fired_at <= now))
        .group_by(T.c.level).order_by(T.c.level)
    ).all()
    overdue = db.execute(select(func.count()).select_from(C).where(and_(of_family, OPEN, _overdue(now)))).scalar_one()
    classified = db.execute(select(func.count()).select_from(C).where(and_(of_family, C.c.tier.is_not(None))))
    reopened = db.execute(select(func.count()).select_from(C).where(and_(of_family, C.c.reopen_count > 0)))
    outcomes = db.execute(
        select(E.c.data).join(C, C.c.id == E.c.complaint_id)
        .where(and_(of_family, E.c.name == "Revisited", E.c.at >= since, E.c.at <= now))
    ).scalars().all()
    satisfied = sum(1 for data in outcomes if (data or {}).get("outcome") == "satisfied")
    owners = db.execute(
        select(C.c.first_responder, func.count().filter(OPEN).label("open_owned"))
        .where(of_family).group_by(C.c.first_responder).order_by(C.c.first_responder)
    ).mappings().all()
    bounces: dict[str, int] = {owner: n for owner, n in db.execute(
        select(C.c.first_responder, func.count()).join(H, H.c.complaint_id == C.c.id)
        .where(and_(of_family, H.c.bounce)).group_by(C.c.first_responder))}
    breaches: dict[str, int] = {owner: n for owner, n in db.execute(
        select(C.c.first_responder, func.count()).join(T, T.c.complaint_id == C.c.id)
        .where(and_(of_family, T.c.kind == "stage_deadline", T.c.fired_at >= since, T.c.fired_at <= now))
        .group_by(C.c.first_responder))}
    classified_n, reopened_n = classified.scalar_one(), reopened.scalar_one()
    return {
        "family": family, "since": since, "until": now,
        "sla": [{**dict(r), "compliance": _share(r["met"], r["met"] + r["missed"])} for r in sla],
        "overdue_now": overdue,
        "escalations_by_level": {int(level): n for level, n in escalations},
        "reopen_rate": _share(reopened_n, classified_n),
        "satisfaction_rate": _share(satisfied, len(outcomes)),
        "revisits": len(outcomes),
        "first_responders": [
            {"first_responder": r["first_responder"], "open_owned": r["open_owned"],
             "bounces": bounces.get(r["first_responder"], 0), "breaches": breaches.get(r["first_responder"], 0)}
            for r in owners
        ],
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


SOON = {"within_15_min": timedelta(minutes=15), "within_hour": timedelta(hours=1), "within_day": timedelta(days=1)}


def scheduled(db: Connection, lane: Lane, now: datetime, soonest: int = 10,
              windows: dict[str, timedelta] = SOON) -> Schedule:
    """Counted on the lane's own index (a range of it per count), however many timers are open."""
    def count(after: datetime | None, until: datetime) -> int:
        query = select(func.count()).select_from(T).where(and_(in_lane(lane), T.c.due_at <= until))
        return int(db.execute(query if after is None else query.where(T.c.due_at > after)).scalar_one())

    upcoming = db.execute(
        select(C.c.number, T.c.kind, T.c.stage, T.c.level, T.c.round, T.c.due_at)
        .join(C, C.c.id == T.c.complaint_id)
        .where(and_(in_lane(lane), T.c.due_at > now)).order_by(T.c.due_at).limit(soonest)
    ).mappings().all()
    return Schedule(lane, now, count(None, now), {name: count(now, now + ahead) for name, ahead in windows.items()},
                    [dict(row) for row in upcoming])
