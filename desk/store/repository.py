"""Reading and writing complaints, their people and their timers, on one connection.

The unit of work (uow.py) owns the transaction; nothing here commits. Statements are
built once, with bind parameters, so that each call only binds values: building a new
statement per call costs more than the database work it asks for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, Select, and_, bindparam, exists, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from desk.errors import ConcurrentUpdate, KeyTaken, NotFound
from desk.lanes import Lane, lane_tier
from desk.store.codec import Revived, plain, restore, to_record
from desk.store.prepared import Prepared, Statements
from desk.store.tables import approvals as A
from desk.store.tables import complainants, counters, pending_of
from desk.store.tables import complaints as C
from desk.store.tables import events as E
from desk.store.tables import handoffs as H
from desk.store.tables import outbox as O
from desk.store.tables import timers as T
from states import Approval, Complaint

if TYPE_CHECKING:
    from desk.planner import TimerDiff  # the planner reads Loaded from here

BY_NUMBER = select(C).where(C.c.number == bindparam("number"))
BY_NUMBER_LOCKED = BY_NUMBER.with_for_update()
BY_IDS = select(C).where(C.c.id.in_(bindparam("cids", expanding=True))).order_by(C.c.id)
BY_IDS_LOCKED = BY_IDS.with_for_update()
EVENTS_OF = select(E).where(E.c.complaint_id == bindparam("cid")).order_by(E.c.seq)
BUMP_COUNTER = (update(counters).where(counters.c.name == bindparam("counter"))
                .values(value=counters.c.value + bindparam("n")).returning(counters.c.value))
SAVE_COMPLAINT = update(C).where(and_(C.c.id == bindparam("cid"), C.c.version == bindparam("expected")))
UPDATE_APPROVAL = update(A).where(and_(A.c.complaint_id == bindparam("cid"), A.c.approval_no == bindparam("no")))
COMPLAINANT_OF = select(complainants).where(complainants.c.complaint_id == bindparam("cid"))
TIMERS_OF = select(T).where(T.c.complaint_id == bindparam("cid"))
TIMER_KEYS = (T.c.id, T.c.kind, T.c.stage, T.c.level, T.c.round, T.c.tier, T.c.due_at, T.c.done_at, T.c.fired_at,
              T.c.held_since, T.c.met_by)
TIMER_FIELDS = tuple(str(column.key) for column in TIMER_KEYS)  # the order of a timer's values as read
TIMER_KEYS_OF = select(*TIMER_KEYS).where(T.c.complaint_id == bindparam("cid"))
TIMER_KEYS_OF_NUMBER = select(*TIMER_KEYS).where(
    T.c.complaint_id == select(C.c.id).where(C.c.number == bindparam("number")).scalar_subquery())
TIMER_KEYS_OF_MANY = select(T.c.complaint_id, *TIMER_KEYS).where(
    T.c.complaint_id.in_(bindparam("cids", expanding=True)))
FIRE_TIMERS = update(T).where(and_(T.c.id.in_(bindparam("tids", expanding=True)), T.c.fired_at.is_(None))).values(
    fired_at=bindparam("now"), fired_by_run=bindparam("run")).returning(T.c.id)
RESCHEDULE_TIMER = update(T).where(and_(T.c.id == bindparam("tid"), T.c.fired_at.is_(None), T.c.done_at.is_(None))
                                   ).values(due_at=bindparam("due_at"), met_by=bindparam("met_by"),
                                            detail=bindparam("detail"))
FINISH_TIMER = update(T).where(and_(T.c.id == bindparam("tid"), T.c.done_at.is_(None))).values(
    done_at=bindparam("now"))
HOLD_TIMER = update(T).where(and_(T.c.id == bindparam("tid"), T.c.fired_at.is_(None), T.c.done_at.is_(None))
                             ).values(held_since=bindparam("since"))
RELEASE_TIMER = update(T).where(and_(T.c.id == bindparam("tid"), T.c.fired_at.is_(None))).values(
    held_since=None, due_at=bindparam("due_at"))
MOVE_TO_LANE = update(T).where(T.c.id == bindparam("tid")).values(tier=bindparam("tier"))
OUTBOX_DUE = (select(O).where(and_(O.c.delivered_at.is_(None), O.c.tier.in_(bindparam("tiers", expanding=True)),
                                   O.c.next_attempt_at <= bindparam("now")))
              .order_by(O.c.next_attempt_at).limit(bindparam("n")))
OUTBOX_DELIVERED = update(O).where(O.c.id == bindparam("oid")).values(
    delivered_at=bindparam("now"), attempts=O.c.attempts + 1, last_error=None)
OUTBOX_RETRY = update(O).where(O.c.id == bindparam("oid")).values(
    next_attempt_at=bindparam("retry_at"), attempts=O.c.attempts + 1, last_error=bindparam("error"),
    gave_up_at=bindparam("gave_up_at"))
# An operator's retry: due now, no longer given up; only while it is still owed.
OUTBOX_RETRY_NOW = update(O).where(and_(O.c.id == bindparam("oid"), O.c.delivered_at.is_(None))).values(
    next_attempt_at=bindparam("now"), gave_up_at=None, retried_at=bindparam("now"),
    retried_by=bindparam("actor")).returning(O.c.id)


@dataclass
class Loaded:
    """A complaint as read, with what is needed to write back only what changed."""

    complaint: Complaint
    id: int
    version: int
    events_stored: int
    handoffs_stored: int
    approvals_stored: dict[int, str] = field(default_factory=dict)  # approval no -> status and signatures
    record: dict[str, Any] = field(default_factory=dict)  # the record column as read
    columns: dict[str, Any] = field(default_factory=dict)  # the other columns as read
    source: str | None = None  # the integration account that filed it, if one did
    updated_at: datetime | None = None
    revived: Revived = field(default_factory=dict)  # the record's items as read (codec.to_record)


COLUMNS = ("number", "family", "type", "tier", "status", "first_responder", "handler", "department", "channel",
           "policy_version", "round", "reopen_count", "record")
EVENT_COLUMNS = ("complaint_id", "seq", "name", "trigger", "source", "dest", "actor", "at", "data")
NEW_COMPLAINT = (*COLUMNS, "idempotency_key", "source", "external_id", "intake_digest", "version", "received_at",
                 "updated_at")
COMPLAINANT_COLUMNS = tuple(str(column.key) for column in complainants.columns)
NO_PERSON = dict.fromkeys(COMPLAINANT_COLUMNS)  # what a complainant's row holds when nothing is given
HANDOFF_COLUMNS = ("complaint_id", "seq", "from_handler", "to_handler", "to_department", "reason", "actor", "at",
                   "bounce")


class Complaints:
    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.db, self.sql = connection, statements
        self.postgres = connection.dialect.name == "postgresql"

    def next_numbers(self, year: int, n: int = 1) -> list[str]:
        """Reserves `n` consecutive complaint numbers of a year (TS-2026-000123), in one statement."""
        name = f"TS-{year}"
        bump = self.sql.prepared("bump_counter", lambda: BUMP_COUNTER)
        found = self.sql.fetch_one(bump, {"counter": name, "n": n})
        last = found["value"] if found else None
        if last is None:
            # The year's first filing creates its counter; two first filings at once must not
            # clash on it (a unique violation on PostgreSQL), so the insert adds to a row the
            # other transaction made meanwhile.
            upsert = INSERT_ONCE[self.db.dialect.name](counters).values(name=name, value=n)
            last = self.db.execute(upsert.on_conflict_do_update(
                index_elements=[counters.c.name], set_={"value": counters.c.value + upsert.excluded.value}
            ).returning(counters.c.value)).scalar_one()
        return [f"{name}-{number:06d}" for number in range(last - n + 1, last + 1)]

    def filed_under(self, keys: list[str], source: str | None, external_ids: list[str]
                    ) -> dict[tuple[str, str], tuple[str, str | None]]:
        """Complaints already filed under these idempotency keys, or under these references of
        `source`: ("key", key) or ("ref", external id) -> (number, digest of the intake as filed)."""
        found: dict[tuple[str, str], tuple[str, str | None]] = {}
        if keys:
            rows = self.db.execute(select(C.c.idempotency_key, C.c.number, C.c.intake_digest)
                                   .where(C.c.idempotency_key.in_(keys)))
            found.update((("key", key), (number, digest)) for key, number, digest in rows)
        if external_ids:
            rows = self.db.execute(select(C.c.external_id, C.c.number, C.c.intake_digest)
                                   .where(and_(C.c.source == source, C.c.external_id.in_(external_ids))))
            found.update((("ref", ref), (number, digest)) for ref, number, digest in rows)
        return found

    def add_many(self, filings: list[tuple[Complaint, dict[str, Any], dict[str, Any]]], now: datetime) -> list[int]:
        """Inserts new complaints with their complainants and first events. `filings` pairs each
        complaint with its complainant's row and its intake columns (key, source, reference, digest).
        Another transaction filing under the same key first is `KeyTaken`: nothing of ours stays."""
        add = self.sql.prepared("add_complaint", lambda: insert(C).returning(C.c.id), NEW_COMPLAINT)
        ids: list[int] = []
        try:
            for c, _, intake in filings:
                values = {**_columns(c), "idempotency_key": None, "source": None, "external_id": None,
                          "intake_digest": None, **intake, "version": 1, "received_at": c.received_at,
                          "updated_at": now}
                ids.append(self.sql.fetch_one(add, values)["id"])  # type: ignore[index]
        except Exception as clash:
            # Prepared statements run on the driver's cursor: its own IntegrityError, whichever driver.
            if not isinstance(clash, IntegrityError) and "IntegrityError" not in {
                    cls.__name__ for cls in type(clash).__mro__}:
                raise
            raise KeyTaken("filed meanwhile under the same key by another request") from clash
        add_person = self.sql.prepared("add_complainant", lambda: insert(complainants), COMPLAINANT_COLUMNS)
        self.sql.execute_many(add_person, ({**NO_PERSON, "complaint_id": cid, **person}
                                           for cid, (_, person, _) in zip(ids, filings, strict=True)))
        self._add_events([(cid, i + 1, e) for cid, (c, _, _) in zip(ids, filings, strict=True)
                          for i, e in enumerate(c.events)])
        return ids

    def _add_events(self, rows: list[tuple[int, int, Any]]) -> None:
        add = self.sql.prepared("add_event", lambda: insert(E), EVENT_COLUMNS)
        self.sql.execute_many(add, (
            {"complaint_id": cid, "seq": seq, "name": e.name, "trigger": e.trigger, "source": e.source,
             "dest": e.dest, "actor": e.actor, "at": e.at, "data": plain(dict(e.data))}
            for cid, seq, e in rows))

    def get(self, number: str, *, for_update: bool = False) -> Loaded:
        query = self._by_number(for_update)
        return self._load(self.sql.fetch_one(query, {"number": number}), f"no complaint {number}")

    def _by_number(self, for_update: bool) -> Prepared:
        locked = for_update and self.postgres  # SQLite's writer holds the whole file already
        return self.sql.prepared(f"by_number:{locked}", lambda: BY_NUMBER_LOCKED if locked else BY_NUMBER)

    def get_with_timers(self, number: str, *, for_update: bool = False) -> tuple[Loaded, list[list[Any]]]:
        """A complaint and its timers' values in TIMER_FIELDS order (what Timers.keys_of reads, by
        position), in one round trip where the database is across a network: what every verb
        reads before it plans."""
        query = self._by_number(for_update)
        timers = self.sql.prepared("timer_keys_of_number", lambda: TIMER_KEYS_OF_NUMBER)
        # The complaint first: on PostgreSQL its row lock is held before its timers are read.
        rows, timer_values = self.sql.fetch_together((query, {"number": number}), (timers, {"number": number}))
        row = dict(zip(query.columns, rows[0], strict=True)) if rows else None
        return self._load(row, f"no complaint {number}"), timer_values

    def get_many_by_id(self, complaint_ids: list[int], *, for_update: bool = False) -> list[Loaded]:
        """Several complaints in one read, by id order (the order every locker takes them in)."""
        query = BY_IDS_LOCKED if for_update and self.postgres else BY_IDS
        rows = self.db.execute(query, {"cids": sorted(complaint_ids)}).mappings()
        return [self._load(dict(row), "") for row in rows]

    def _load(self, row: dict[str, Any] | None, missing: str) -> Loaded:
        if row is None:
            raise NotFound(missing)
        complaint, revived = restore(row)
        return Loaded(complaint, row["id"], row["version"], len(complaint.events), len(complaint.handoffs),
                      {a.id: _approval_state(a) for a in complaint.approvals}, row["record"] or {},
                      {name: row[name] for name in COLUMNS if name != "record"}, row.get("source"),
                      row.get("updated_at"), revived)

    def events(self, complaint_id: int) -> list[dict[str, Any]]:
        """The audit trail as stored in the append-only log."""
        return [dict(e) for e in self.db.execute(EVENTS_OF, {"cid": complaint_id}).mappings()]

    def save(self, loaded: Loaded, now: datetime) -> int:
        """Writes state, record and new rows; refuses when someone else saved in between."""
        self.save_many([loaded], now)
        return loaded.version + 1

    def save_many(self, batch: list[Loaded], now: datetime) -> None:
        """Saves several complaints with one statement per table (a sweep's batch): all or none."""
        # Only the columns that changed are set: SQLite rewrites an index entry for every indexed
        # column an UPDATE names, changed or not, and a sweep changes none of them.
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for loaded in batch:
            values = _columns(loaded.complaint, loaded.record, loaded.revived)
            changed = tuple(name for name, before in loaded.columns.items() if values[name] != before)
            by_columns[changed].append({**values, "cid": loaded.id, "expected": loaded.version,
                                        "version": loaded.version + 1, "updated_at": now})
        saved = 0
        for changed, rows in by_columns.items():
            keys = (*changed, "record", "version", "updated_at")
            self.sql.execute_many(self.sql.prepared("save_complaint", lambda: SAVE_COMPLAINT, keys), rows)
            saved += self.sql.rowcount()
        if saved != len(batch):
            numbers = ", ".join(loaded.complaint.number for loaded in batch)
            versions = ", ".join(str(loaded.version) for loaded in batch)
            raise ConcurrentUpdate(
                f"{numbers if len(batch) == 1 else 'one of ' + numbers} was changed by someone else while you "
                f"worked on it (you had version {versions}); nothing was saved: look again and retry"
            )
        self._add_events([(loaded.id, loaded.events_stored + i + 1, e) for loaded in batch
                          for i, e in enumerate(loaded.complaint.events[loaded.events_stored:])])
        add_handoff = self.sql.prepared("add_handoff", lambda: insert(H), HANDOFF_COLUMNS)
        self.sql.execute_many(add_handoff, (
            {"complaint_id": loaded.id, "seq": loaded.handoffs_stored + i + 1, "from_handler": h.from_handler,
             "to_handler": h.to_handler, "to_department": h.to_department, "reason": h.reason,
             "actor": h.actor, "at": h.at, "bounce": h.bounce}
            for loaded in batch for i, h in enumerate(loaded.complaint.handoffs[loaded.handoffs_stored:])))
        for loaded in batch:
            self._save_approvals(loaded)

    def _save_approvals(self, loaded: Loaded) -> None:
        complaint_id = loaded.id
        for a in loaded.complaint.approvals:
            before = loaded.approvals_stored.get(a.id)
            values = {"status": a.status.value, "decided_at": a.decided_at, "note": a.note,
                      "signed_by": list(a.signed_by)}
            if before is None:
                self.db.execute(insert(A), {
                    "complaint_id": complaint_id, "approval_no": a.id, "action": a.action, "amount": a.amount,
                    "requested_by": a.requested_by, "approver": a.approver, "requested_at": a.requested_at,
                    "cosigner": a.cosigner, **values})
            elif before != _approval_state(a):
                self.db.execute(UPDATE_APPROVAL, {"cid": complaint_id, "no": a.id, **values})

    def complainant(self, complaint_id: int) -> dict[str, Any]:
        row = self.db.execute(COMPLAINANT_OF, {"cid": complaint_id}).mappings().first()
        return dict(row) if row else {}


def _approval_state(a: Approval) -> str:
    """What can change on a stored approval: its status and who has signed (会同)."""
    return f"{a.status.value}:{','.join(a.signed_by)}"


def _columns(c: Complaint, stored: dict[str, Any] | None = None, revived: Revived | None = None) -> dict[str, Any]:
    return {
        "number": c.number, "family": c.family.value, "type": c.type, "tier": c.tier, "status": c.status,
        "first_responder": c.first_responder, "handler": c.handler, "department": c.department,
        "channel": c.channel, "policy_version": c.policy_version, "round": c.round,
        "reopen_count": c.reopen_count, "record": to_record(c, stored, revived),
    }


TIMER_COLUMNS = ("complaint_id", "kind", "tier", "stage", "level", "round", "due_at", "met_by", "detail")


def in_lane(lane: Lane) -> Any:
    """A lane's pending timers, in the words of its partial index (tables.pending_of)."""
    return and_(text(pending_of(lane.kinds)), T.c.tier == lane.tier)


def due_in(lane: Lane) -> Select[Any]:
    return select(T).where(and_(in_lane(lane), T.c.due_at <= bindparam("now")))


def _of_families(query: Select[Any], families: tuple[str, ...] | None) -> Select[Any]:
    if families is None:
        return query
    # Correlated: one primary-key lookup per due timer, not a list of every complaint of the family.
    return query.where(exists().where(and_(C.c.id == T.c.complaint_id, C.c.family.in_(families))))


class Timers:
    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.db, self.sql = connection, statements
        self.postgres = connection.dialect.name == "postgresql"

    def of(self, complaint_id: int) -> Sequence[Row[Any]]:
        return self.db.execute(TIMERS_OF, {"cid": complaint_id}).all()

    def keys_of(self, complaint_id: int) -> list[dict[str, Any]]:
        """What reconciling needs of a complaint's timers: key, due time, whether done."""
        query = self.sql.prepared("timer_keys", lambda: TIMER_KEYS_OF)
        return self.sql.fetch_all(query, {"cid": complaint_id})

    def keys_of_many(self, complaint_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """keys_of for several complaints in one read."""
        found: dict[int, list[dict[str, Any]]] = {cid: [] for cid in complaint_ids}
        for row in self.db.execute(TIMER_KEYS_OF_MANY, {"cids": complaint_ids}).mappings():
            found[row["complaint_id"]].append(dict(row))
        return found

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.sql.execute_many(self.sql.prepared("add_timer", lambda: insert(T), TIMER_COLUMNS), rows)

    def finish(self, ids: Iterable[int], now: datetime) -> None:
        self.sql.execute_many(self.sql.prepared("finish_timer", lambda: FINISH_TIMER),
                              ({"tid": i, "now": now} for i in ids))

    def reschedule(self, rows: list[dict[str, Any]]) -> None:
        """New due times (and met_by, detail) for pending timers: `tid` and the new values each."""
        if rows:
            self.db.execute(RESCHEDULE_TIMER, rows)

    def apply(self, diffs: Iterable[tuple[int, str | None, TimerDiff]], now: datetime) -> None:
        """Writes what desk.planner planned for each (complaint id, its tier, diff): one statement
        per kind of change for the lot, whatever the number of complaints (a sweep's batch)."""
        added: list[dict[str, Any]] = []
        finished: list[int] = []
        lanes: list[tuple[int, str]] = []
        held: list[tuple[int, datetime]] = []
        released: list[tuple[int, datetime]] = []
        replanned: list[dict[str, Any]] = []
        for complaint_id, tier, diff in diffs:
            lane = lane_tier(tier)
            added += [{"complaint_id": complaint_id, "kind": p.kind.value, "tier": lane, "stage": p.stage,
                       "level": p.level, "round": p.round, "due_at": p.due_at, "met_by": list(p.met_by),
                       "detail": dict(p.detail)} for p in diff.add]
            finished += diff.finish
            for m in diff.move:
                if m.tier is not None:
                    lanes.append((m.timer_id, m.tier))
                if m.held_since is not None:
                    held.append((m.timer_id, m.held_since))
                elif m.released and m.due_at is not None:
                    released.append((m.timer_id, m.due_at))
                elif m.due_at is not None:
                    replanned.append({"tid": m.timer_id, "due_at": m.due_at, "met_by": list(m.met_by or ()),
                                      "detail": dict(m.detail or {})})
        self.add(added)
        self.finish(finished, now)
        self.move_to_lane(lanes)
        self.hold(held)
        self.release(released)
        self.reschedule(replanned)

    def hold(self, rows: list[tuple[int, datetime]]) -> None:
        """(timer id, the pause's start) for pending timers a pause now holds: the sweeps pass them by."""
        self.sql.execute_many(self.sql.prepared("hold_timer", lambda: HOLD_TIMER),
                              ({"tid": tid, "since": since} for tid, since in rows))

    def release(self, rows: list[tuple[int, datetime]]) -> None:
        """(timer id, its new due time) for held timers whose pause ended: due again, later."""
        self.sql.execute_many(self.sql.prepared("release_timer", lambda: RELEASE_TIMER),
                              ({"tid": tid, "due_at": due} for tid, due in rows))

    def move_to_lane(self, moves: list[tuple[int, str]]) -> None:
        """(timer id, tier) for timers whose complaint changed tier: its sweeps fire them now."""
        self.sql.execute_many(self.sql.prepared("move_to_lane", lambda: MOVE_TO_LANE),
                              ({"tid": tid, "tier": tier} for tid, tier in moves))

    def due(self, now: datetime, limit: int, lane: Lane, families: tuple[str, ...] | None = None
            ) -> Sequence[Row[Any]]:
        """The lane's pending timers due by `now`, oldest first, with every other due timer of the
        same complaints in the lane, so that each complaint is loaded and saved once per batch. A
        range scan over the lane's partial index (tier, due_at); on PostgreSQL rows another
        sweeper holds are skipped (shared work). `families` limits it to complaints of those."""
        first = self.db.execute(self._skip_locked(
            _of_families(due_in(lane), families).order_by(T.c.due_at).limit(limit)), {"now": now}).all()
        complaint_ids = sorted({t.complaint_id for t in first})
        if not complaint_ids:
            return first
        rest = due_in(lane).where(T.c.complaint_id.in_(complaint_ids)).order_by(T.c.due_at)
        return self.db.execute(self._skip_locked(rest), {"now": now}).all()

    def _skip_locked(self, query: Select[Any]) -> Select[Any]:
        return query.with_for_update(skip_locked=True) if self.postgres else query

    def fire_many(self, timer_ids: list[int], now: datetime, run_id: str | None = None) -> set[int]:
        """Marks timers fired in one statement, by the Prefect flow run `run_id` if one is sweeping;
        returns those this call fired (not already fired)."""
        if not timer_ids:
            return set()
        return set(self.db.execute(FIRE_TIMERS, {"tids": timer_ids, "now": now, "run": run_id}).scalars())

    def next_due_at(self, lanes: Sequence[Lane]) -> datetime | None:
        """The soonest pending due time among the lanes (each read from its own index)."""
        found = [self.db.execute(select(T.c.due_at).where(in_lane(lane)).order_by(T.c.due_at).limit(1)).scalar()
                 for lane in lanes]
        return min((due for due in found if due is not None), default=None)


OUTBOX_COLUMNS = ("complaint_id", "number", "recipient", "kind", "tier", "payload", "created_at", "next_attempt_at",
                  "attempts")
INSERT_ONCE: dict[str, Any] = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


class Outbox:
    """Notifications owed: written with the change that owes them, delivered after commit."""

    def __init__(self, connection: Connection, statements: Statements) -> None:
        self.db, self.sql = connection, statements
        self.postgres = connection.dialect.name == "postgresql"

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.sql.execute_many(self.sql.prepared("add_notification", lambda: insert(O), OUTBOX_COLUMNS), rows)

    def of(self, complaint_id: int) -> list[dict[str, Any]]:
        """The notices owed about a complaint, oldest first: to whom, what, and how delivery went."""
        return [dict(row) for row in self.db.execute(
            select(O.c.kind, O.c.recipient, O.c.created_at, O.c.delivered_at, O.c.attempts, O.c.last_error,
                   O.c.gave_up_at).where(O.c.complaint_id == complaint_id).order_by(O.c.id)).mappings()]

    def add_once(self, rows: list[dict[str, Any]]) -> int:
        """Adds notices that carry a `dedupe_key`, each unless one with its key is already owed or
        sent (a repeated request, or two at once: the unique key settles it). Returns how many."""
        if not rows:
            return 0
        insert_once = INSERT_ONCE[self.db.dialect.name]
        added = 0
        for row in rows:
            statement = insert_once(O).values(**row).on_conflict_do_nothing(index_elements=["dedupe_key"])
            added += len(self.db.execute(statement.returning(O.c.id)).all())  # rowcount is -1 on psycopg
        return added

    def due(self, now: datetime, limit: int, tiers: Sequence[str]) -> Sequence[Row[Any]]:
        """Notices owed by `now` for these lane tiers, oldest first."""
        query = OUTBOX_DUE.with_for_update(skip_locked=True) if self.postgres else OUTBOX_DUE
        return self.db.execute(query, {"now": now, "n": limit, "tiers": list(tiers)}).all()

    def claim(self, now: datetime, limit: int, tiers: Sequence[str], until: datetime) -> Sequence[Row[Any]]:
        """Takes the notices owed by `now` for sending: not due again before `until`, so another
        sweeper passes them by while they are sent outside this transaction. If the sender dies,
        they fall due again then (delivery is at least once; the delivery id stays the same)."""
        rows = self.due(now, limit, tiers)
        if rows:
            self.db.execute(update(O).where(O.c.id.in_([row.id for row in rows])).values(next_attempt_at=until))
        return rows

    def delivered(self, outbox_ids: list[int], now: datetime) -> None:
        self.sql.execute_many(self.sql.prepared("outbox_delivered", lambda: OUTBOX_DELIVERED),
                              ({"oid": oid, "now": now} for oid in outbox_ids))

    def retry(self, retries: list[tuple[int, datetime, str, datetime | None]]) -> None:
        """(outbox id, when to try again, what went wrong, when the desk gave up on it or None)
        for each notice that failed."""
        self.sql.execute_many(self.sql.prepared("outbox_retry", lambda: OUTBOX_RETRY),
                              ({"oid": oid, "retry_at": retry_at, "error": error[:2000], "gave_up_at": gave_up}
                               for oid, retry_at, error, gave_up in retries))

    def get(self, outbox_id: int) -> dict[str, Any]:
        row = self.db.execute(select(O).where(O.c.id == outbox_id)).mappings().first()
        if row is None:
            raise NotFound(f"no notification #{outbox_id}")
        return dict(row)

    def retry_now(self, outbox_id: int, now: datetime, actor: str) -> bool:
        """Makes an owed notice due at `now`, recording who asked; False if it was sent meanwhile."""
        return self.db.execute(OUTBOX_RETRY_NOW, {"oid": outbox_id, "now": now, "actor": actor}).first() is not None
