"""A population of open complaints for the sweep benchmarks, loaded in bulk.

The desk itself files, classifies and assigns ONE template complaint, so every row is exactly
what the desk writes (JSON record, events, hand-off, timers). Its rows are then read back
through the bare driver, in the driver's own representation, and cloned M times with new ids
and numbers: sqlite3 `executemany` on SQLite, `COPY ... FROM STDIN` (text format) on PostgreSQL.
Copying the driver-level values keeps datetimes and JSON byte-for-byte as the desk stores them.

Of the M complaints, D (spread evenly over the ids) have exactly one due timer, the "resolve"
stage's first escalation (a reminder to the handler), due an hour before the sweep's `now`;
every other pending timer of every complaint lies 30 days or more after `now`.

The template is classified `cleaning_late` (general tier) unless told otherwise, and `now` is an
hour after its chosen timer unless given: benchmarks on the real clock pass it. A second
population of another type can be loaded into the same database after the first (`first`:
the complaints already there), with ids and numbers following on. A `walk` takes the template
elsewhere than classified and assigned (any state, closed too: then nothing is due), and
`due_kind` chooses which kind of timer the due ones have late (a stage deadline makes them
overdue).
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import make_url

from benchmarks.common import BenchError, open_desk
from desk.service import Desk
from desk.store import tables
from desk.store.engine import make_engine

FILED = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
AGENT, HANDLER = "li-na", "zhang-li"
PERSON = {"name": "基准", "phone": "13800000000", "description": "楼道没有打扫", "request": "打扫"}
GENERAL_TYPE = "cleaning_late"  # a property complaint type of the general tier
CHUNK = 20_000  # complaints per transaction: big enough to amortise, small enough for a smooth bar
LATE = timedelta(hours=1)  # how overdue the due timers are at `now`
FUTURE = timedelta(days=30)  # the earliest any other pending timer falls due
COPY_BLOCK = 1 << 20  # bytes per write into a COPY
SPREAD = 1024  # future timers are spread over this many minutes, so the due index is not one key
# Every table that hangs off a complaint, parents first (the order rows must be inserted in).
CHILD_TABLES = ("complainants", "events", "handoffs", "approvals", "timers", "outbox")


@dataclass(frozen=True)
class Population:
    url: str
    now: datetime  # the sweep's moment: D timers are due, nothing else is
    open: int
    due: int
    load_s: float


@dataclass(frozen=True)
class Template:
    """The template complaint as the desk wrote it, with what cloning needs to know."""

    id: int  # the template complaint's id: the next after those already loaded
    now: datetime
    number_prefix: str  # "TS-2026"
    due_timer_id: int | None  # None: the template has no pending timer of the kind asked for
    pending_timer_ids: frozenset[int]


# Takes the template from filed (by `agent`, at FILED) to where its clones should be, through
# the desk's use-cases; the default classifies it `type` and assigns it to HANDLER.
Walk = Callable[[Desk, str], object]


def load(url: str, open_count: int, due: int, bar: Any, *, type: str = GENERAL_TYPE, now: datetime | None = None,
         first: int = 0, agent: str = AGENT, walk: Walk | None = None, due_kind: str = "escalation") -> Population:
    """Fills the database at `url` with `open_count` open complaints of `type` (or as `walk`
    leaves them), `due` of them with a `due_kind` timer late at `now`. The database is empty, or
    holds the `first` complaints an earlier `load` put there (these clones then follow on: ids and
    numbers first + 1, ...)."""
    if not 0 <= due <= open_count:
        raise BenchError(f"--due: {due} must be between 0 and --open ({open_count})")
    began = time.perf_counter()
    template = _file_template(url, type, now, first, agent, walk, due_kind if due or now is None else None)
    with _bulk_store(url) as store:
        rows = {name: store.read(name, template.id) for name in ("complaints", *CHILD_TABLES)}
        store.delete_template(template.id)
        bases = {name: store.max_id(name) for name, found in rows.items() if found and "id" in store.columns[name]}
        task = bar.add_task(f"loading {open_count:,} {type} complaints", total=open_count)
        for start in range(0, open_count, CHUNK):
            last = min(start + CHUNK, open_count)
            for name, template_rows in rows.items():
                if template_rows:
                    store.write(name, _clones(name, template_rows, template, store, bases.get(name, 0),
                                              range(start, last), open_count, due))
            store.commit()
            bar.advance(task, last - start)
        store.finish(template.number_prefix, first + open_count, [name for name, found in rows.items() if found])
    return Population(url, template.now, open_count, due, round(time.perf_counter() - began, 2))


def _file_template(url: str, type: str, now: datetime | None, first: int, agent: str = AGENT,
                   walk: Walk | None = None, due_kind: str | None = "escalation") -> Template:
    """Creates the schema (if new) and the template complaint through the desk's own use-cases."""
    desk = open_desk(url, FILED)
    try:
        number = desk.file(actor=agent, now=FILED, family="property", complainant=PERSON, channel="phone").number
        if walk is None:
            desk.classify(number, actor=agent, now=FILED + timedelta(minutes=10), type=type)
            desk.assign(number, actor=agent, now=FILED + timedelta(minutes=20), handler=HANDLER)
        else:
            walk(desk, number)
        T, C = tables.timers, tables.complaints
        with desk.engine.connect() as conn:
            template_id = conn.execute(select(C.c.id).where(C.c.number == number)).scalar_one()
            pending = and_(T.c.complaint_id == template_id, T.c.fired_at.is_(None), T.c.done_at.is_(None))
            timers = conn.execute(select(T).where(pending).order_by(T.c.due_at)).all()
            complaints = conn.execute(select(func.count(), func.max(C.c.id)).select_from(C)).one()
    finally:
        desk.engine.dispose()
    if tuple(complaints) != (first + 1, first + 1):
        raise BenchError(f"the database at {url} was not empty" if not first else
                         f"the database at {url} does not hold exactly the {first} complaints loaded before")
    pending_ids = frozenset(t.id for t in timers)
    if due_kind is None:  # nothing is to be late: `now` was given
        assert now is not None
        return Template(id=template_id, now=now, number_prefix=number.rsplit("-", 1)[0], due_timer_id=None,
                        pending_timer_ids=pending_ids)
    candidates = [t for t in timers if t.kind == due_kind]
    if not candidates:
        raise BenchError(f"the template complaint has no pending {due_kind} timer: the property policy changed?")
    # The resolve stage's first rung if there is one (a reminder), else the earliest of the kind.
    chosen = next((t for t in candidates if (t.stage, t.level) == ("resolve", 1)), candidates[0])
    return Template(id=template_id, now=now or chosen.due_at + LATE, number_prefix=number.rsplit("-", 1)[0],
                    due_timer_id=chosen.id, pending_timer_ids=pending_ids)


def is_due(index: int, open_count: int, due: int) -> bool:
    """Spreads `due` overdue complaints evenly over `open_count` (as Bresenham spreads pixels)."""
    return (index * due) // open_count != ((index + 1) * due) // open_count


def _clones(name: str, template_rows: list[list[Any]], template: Template, store: BulkStore, base_id: int,
            indexes: range, open_count: int, due: int) -> Iterator[Any]:
    """Rows for the complaints with these 0-based indexes (complaint id = the template's + index,
    a row's own id = `base_id` + its place), made as they are consumed, so that the database
    works on one block while the next is being made."""
    columns = store.columns[name]
    enc_int, enc_text = store.enc_int, store.enc_text
    per_complaint = len(template_rows)
    id_at = columns.index("id") if "id" in columns else None
    cid_at = columns.index("complaint_id" if name != "complaints" else "id")
    if name == "complaints":
        number_at = columns.index("number")
        for i in indexes:
            row = list(template_rows[0])
            row[cid_at] = enc_int(template.id + i)
            row[number_at] = enc_text(f"{template.number_prefix}-{template.id + i:06d}")
            yield store.row(row)
        return
    due_at_fn = _timer_due_at(template_rows, template, store, columns) if name == "timers" else None
    for i in indexes:
        overdue = is_due(i, open_count, due)
        for j, template_row in enumerate(template_rows):
            row = list(template_row)
            row[cid_at] = enc_int(template.id + i)
            if id_at is not None:
                row[id_at] = enc_int(base_id + i * per_complaint + j + 1)
            if due_at_fn is not None:
                due_at_fn(row, i, j, overdue)
            yield store.row(row)


def _timer_due_at(template_rows: list[list[Any]], template: Template, store: BulkStore,
                  columns: list[str]) -> Callable[[list[Any], int, int, bool], None]:
    """Sets due_at of the pending timers: the chosen one an hour late on overdue complaints,
    every other one a month or more ahead (spread over ~17 hours, like real deadlines)."""
    id_at, due_at = columns.index("id"), columns.index("due_at")
    ids = [int(row[id_at]) for row in template_rows]
    pending = [tid in template.pending_timer_ids for tid in ids]
    chosen = [tid == template.due_timer_id for tid in ids]
    late = store.enc_time(template.now - LATE)
    future = [store.enc_time(template.now + FUTURE + timedelta(minutes=m)) for m in range(SPREAD)]

    def set_due_at(row: list[Any], index: int, j: int, overdue: bool) -> None:
        if pending[j]:
            row[due_at] = late if overdue and chosen[j] else future[index % SPREAD]

    return set_due_at


# -- the bare drivers ---------------------------------------------------------------------
class BulkStore:
    """Raw reads and bulk writes in the driver's own value representation."""

    columns: dict[str, list[str]]

    def read(self, table: str, template_id: int) -> list[list[Any]]:
        raise NotImplementedError

    def delete_template(self, template_id: int) -> None:
        raise NotImplementedError

    def max_id(self, table: str) -> int:
        """The highest id left in the table once the template is gone (0 when empty)."""
        raise NotImplementedError

    def write(self, table: str, rows: Iterable[Any]) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def finish(self, prefix: str, open_count: int, loaded: list[str]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def enc_int(self, value: int) -> Any:
        return value

    def enc_text(self, value: str) -> Any:
        return value

    def enc_time(self, value: datetime) -> Any:
        raise NotImplementedError

    def row(self, values: list[Any]) -> Any:
        return values


class SqliteStore(BulkStore):
    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        # Loading is not measured and a lost load is simply redone: no fsync, a large cache.
        # Foreign keys stay off (the sqlite3 default); the clones are consistent by construction.
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-262144")  # 256 MB
        self.columns = {}
        self.db.execute("BEGIN")

    def read(self, table: str, template_id: int) -> list[list[Any]]:
        key = "complaint_id" if table != "complaints" else "id"
        cursor = self.db.execute(f"SELECT * FROM {table} WHERE {key} = ? ORDER BY rowid", (template_id,))
        self.columns[table] = [d[0] for d in cursor.description]
        return [list(row) for row in cursor]

    def delete_template(self, template_id: int) -> None:
        for table in (*reversed(CHILD_TABLES), "complaints"):
            key = "complaint_id" if table != "complaints" else "id"
            self.db.execute(f"DELETE FROM {table} WHERE {key} = ?", (template_id,))

    def max_id(self, table: str) -> int:
        return int(self.db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])

    def write(self, table: str, rows: Iterable[Any]) -> None:
        marks = ", ".join("?" * len(self.columns[table]))
        self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def commit(self) -> None:
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def finish(self, prefix: str, open_count: int, loaded: list[str]) -> None:
        self.db.execute("UPDATE counters SET value = ? WHERE name = ?", (open_count, prefix))
        self.db.execute("COMMIT")
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the sweep starts from a tidy file

    def close(self) -> None:
        self.db.close()

    def enc_time(self, value: datetime) -> str:
        # What SQLAlchemy's SQLite DateTime writes for the desk's naive-UTC values.
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class PostgresStore(BulkStore):
    """COPY in text format: the template's fields are kept as the server printed them."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.db = psycopg.connect(url)
        self.columns = {}
        # The clones are consistent by construction: skip the per-row foreign-key triggers (about
        # a third of COPY's time). Only a superuser may; anyone else loads with the checks on.
        try:
            self.db.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            self.db.rollback()
        self.db.commit()

    def read(self, table: str, template_id: int) -> list[list[Any]]:
        key = "complaint_id" if table != "complaints" else "id"
        with self.db.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            self.columns[table] = [d.name for d in cursor.description or ()]
            data = bytearray()
            query = f"COPY (SELECT * FROM {table} WHERE {key} = {int(template_id)} ORDER BY 1) TO STDOUT"
            with cursor.copy(query) as copy:
                for block in copy:
                    data += block
        return [line.split(b"\t") for line in bytes(data).splitlines()]

    def delete_template(self, template_id: int) -> None:
        with self.db.cursor() as cursor:
            for table in (*reversed(CHILD_TABLES), "complaints"):
                key = "complaint_id" if table != "complaints" else "id"
                cursor.execute(f"DELETE FROM {table} WHERE {key} = %s", (template_id,))

    def max_id(self, table: str) -> int:
        with self.db.cursor() as cursor:
            found = cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
        return int(found[0]) if found else 0

    def write(self, table: str, rows: Iterable[Any]) -> None:
        # Sent in blocks of ~1 MB as they are made: the server parses and indexes one block
        # while Python makes the next (the two run on different cores).
        with self.db.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
            block: list[bytes] = []
            size = 0
            for row in rows:
                block.append(row)
                size += len(row)
                if size >= COPY_BLOCK:
                    copy.write(b"".join(block))
                    block, size = [], 0
            if block:
                copy.write(b"".join(block))

    def commit(self) -> None:
        self.db.commit()

    def finish(self, prefix: str, open_count: int, loaded: list[str]) -> None:
        with self.db.cursor() as cursor:
            cursor.execute("UPDATE counters SET value = %s WHERE name = %s", (open_count, prefix))
            # Rows came with explicit ids: move each id sequence past them, or the desk's next
            # insert (an event, an outbox row) would collide with a loaded row.
            for table in loaded:
                if "id" in self.columns[table]:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT max(id) FROM {table}))")
        self.db.commit()
        self.db.autocommit = True
        self.db.execute("VACUUM ANALYZE")

    def close(self) -> None:
        self.db.close()

    def enc_int(self, value: int) -> bytes:
        return str(value).encode()

    def enc_text(self, value: str) -> bytes:
        return value.encode()  # numbers hold no tab, newline or backslash: nothing to escape

    def enc_time(self, value: datetime) -> bytes:
        return value.astimezone(UTC).isoformat(sep=" ").encode()

    def row(self, values: list[Any]) -> bytes:
        return b"\t".join(values) + b"\n"


@contextmanager
def _bulk_store(url: str) -> Iterator[BulkStore]:
    parsed = make_url(url)
    store: BulkStore
    if parsed.get_backend_name() == "sqlite":
        store = SqliteStore(parsed.database or "")
    else:
        store = PostgresStore(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.close()


# -- checking a sweep's work --------------------------------------------------------------
def audit(url: str) -> dict[str, int]:
    """What the database says was fired: timers marked fired, Escalated events, and how many
    escalations were recorded more than once for the same complaint, stage and level."""
    engine = make_engine(url)
    T, E = tables.timers, tables.events
    try:
        with engine.connect() as conn:
            fired = conn.execute(select(func.count()).select_from(T).where(T.c.fired_at.is_not(None))).scalar()
            escalated = conn.execute(select(E.c.complaint_id, E.c.data).where(E.c.name == "Escalated")).all()
    finally:
        engine.dispose()
    seen = Counter((cid, data.get("stage"), data.get("level")) for cid, data in escalated)
    return {"fired_timers": int(fired or 0), "escalated_events": len(escalated),
            "duplicate_escalations": sum(n - 1 for n in seen.values() if n > 1)}
