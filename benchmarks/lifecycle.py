"""Lifecycle: N complaints driven from receipt to closed through the desk's use-cases, each step
its own committed transaction as the CLI or API does it, against the floor: the very same row
writes replayed as plain DB-API statements, with no ORM and no state machine; and against the
ceiling: the same reads and writes through what the desk's stack itself costs (see Ceiling).

    python -m benchmarks.lifecycle --n 20000 --db sqlite --json

How the floor is made: while the desk runs, every statement is recorded with its driver-level
parameters, one list per committed transaction; the recording's own time is taken off the
desk's. Right after each of the desk's transactions, a second, identically prepared database
gets that transaction's writes replayed through the bare driver (sqlite3 / psycopg) and
committed, and a third gets the ceiling's replay: desk, floor and ceiling take turns, so a
machine that slows down slows all three. `ratio = desk / floor` is the share of the database's
own speed the desk keeps; what it loses is loading, the state machine, policy tracking and
SQLAlchemy. `ceiling_ratio` is the share that the stack alone keeps (SQLAlchemy's transaction,
the reads, one `transitions` trigger): no desk that runs its transactions through SQLAlchemy
and fires `transitions` can reach a ratio above it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from transitions import Machine

from benchmarks.common import (
    BenchError,
    emit,
    fail,
    fresh_database,
    machine,
    open_desk,
    peak_rss_mb,
    percentile,
    progress,
)
from desk.service import Desk
from desk.store.engine import SQLITE_PRAGMAS, make_engine
from desk.store.prepared import Statements

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
PERSON = {"name": "基准测试", "phone": "13800000000", "description": "楼道没有打扫", "request": "打扫"}
AGENT, HANDLER = "li-na", "zhang-li"


@dataclass(frozen=True)
class Step:
    name: str
    offset: timedelta  # from the complaint's receipt
    run: Callable[[Desk, str, datetime], object]


# The property path of the seeds' cleaning complaint: receipt to a satisfied revisit and closing,
# with one pause and resume.
STEPS: tuple[Step, ...] = (
    Step("classify", timedelta(minutes=10),
         lambda d, n, t: d.classify(n, actor=AGENT, now=t, type="cleaning_late")),
    Step("assign", timedelta(minutes=20), lambda d, n, t: d.assign(n, actor=AGENT, now=t, handler=HANDLER)),
    # Issue 15: the clock stopped while the owner is asked which floors, then run again.
    Step("pause", timedelta(minutes=30),
         lambda d, n, t: d.pause(n, actor=HANDLER, now=t, reason="awaiting_complainant")),
    Step("resume", timedelta(hours=1), lambda d, n, t: d.resume(n, actor=HANDLER, now=t)),
    Step("record_findings", timedelta(hours=2),
         lambda d, n, t: d.record_findings(n, actor=HANDLER, now=t, findings="stairwell 3 skipped")),
    Step("resolve", timedelta(hours=3),
         lambda d, n, t: d.resolve(n, actor=HANDLER, now=t, resolution="repair", detail="swept")),
    Step("feed_back", timedelta(hours=4), lambda d, n, t: d.feed_back(n, actor=AGENT, now=t, channel="sms")),
    Step("record_revisit", timedelta(days=1),
         lambda d, n, t: d.record_revisit(n, actor=AGENT, now=t, outcome="satisfied")),
    Step("close", timedelta(days=1, minutes=5), lambda d, n, t: d.close(n, actor=AGENT, now=t)),
)
TRANSITIONS_PER_COMPLAINT = 1 + len(STEPS)  # filing is the first


# One statement as the driver saw it: its SQL, its driver-level parameters, and how it went:
# "one", "many" (executemany) or "together" (a read pipelined with the reads next to it).
Recorded = tuple[str, Any, str]
WRITES = ("INSERT", "UPDATE", "DELETE")


class Recorder:
    """Keeps the statements of each committed transaction, as the driver saw them, until the
    floor and the ceiling take them."""

    def __init__(self) -> None:
        self.pending: list[Recorded] = []
        self.committed: list[list[Recorded]] = []
        # Seconds spent recording: the benchmark's own work, taken off the desk's time.
        self.spent = 0.0

    def attach(self, desk: Desk) -> None:
        event.listen(desk.engine, "before_cursor_execute", self._through_sqlalchemy)
        event.listen(desk.engine, "commit", self._commit)
        event.listen(desk.engine, "rollback", self._rollback)
        Statements.observers.append(self._statement)  # the hot statements bypass SQLAlchemy

    def detach(self) -> None:
        Statements.observers.remove(self._statement)

    def take(self) -> list[list[Recorded]]:
        taken, self.committed = self.committed, []
        return taken

    def _through_sqlalchemy(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                            executemany: bool) -> None:
        self._statement(statement, parameters, "many" if executemany else "one")

    def _statement(self, statement: str, parameters: Any, how: str) -> None:
        began = time.perf_counter()
        self.pending.append((statement, parameters, how))
        self.spent += time.perf_counter() - began

    def _commit(self, conn: Any) -> None:
        began = time.perf_counter()
        self.committed.append(self.pending)
        self.pending = []
        self.spent += time.perf_counter() - began

    def _rollback(self, conn: Any) -> None:
        self.pending = []


def writes(transaction: list[Recorded]) -> list[Recorded]:
    return [recorded for recorded in transaction if recorded[0].lstrip()[:6].upper() in WRITES]


class Floor:
    """The recorded writes replayed through the bare driver on a second database, each
    transaction right after the desk committed it: both sides run under the same conditions of
    the machine (a disk that slows down for a minute slows both), so the ratio holds still
    between runs."""

    def __init__(self, url: str) -> None:
        self.connection, self.begin = _driver_connection(url)
        self.spent, self.transactions = 0.0, 0

    def replay(self, transactions: list[list[Recorded]]) -> None:
        began = time.perf_counter()
        for tx in transactions:
            cursor = self.connection.cursor()
            if self.begin:
                cursor.execute(self.begin)
            for statement, parameters, how in writes(tx):
                if how == "many":
                    cursor.executemany(statement, parameters)
                else:
                    cursor.execute(statement, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            self.connection.commit() if not self.begin else cursor.execute("COMMIT")
        self.spent += time.perf_counter() - began
        self.transactions += len(transactions)

    def close(self) -> None:
        self.connection.close()


class Ceiling:
    """The least a desk on this stack can do for the same transaction, on a third database: a
    unit of work's SQLAlchemy connection and transaction on the desk's own engine (its BEGIN,
    its SQLite gate, its pool), the desk's reads as well as its writes on the driver's cursor
    (pipelined where the desk pipelined them), the JSON documents read decoded, and one trigger
    of a bare `transitions` machine. No policy, no planning, no record built or encoded: what is
    left between this and the desk is the desk's own logic; what lies between this and the
    floor, no desk that runs its transactions through SQLAlchemy and fires `transitions` can
    win back."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.stepper = _Stepper()
        self.spent, self.transactions = 0.0, 0

    def replay(self, transactions: list[list[Recorded]]) -> None:
        began = time.perf_counter()
        for tx in transactions:
            with self.engine.connect() as connection, connection.begin():
                driver = connection.connection.driver_connection
                for group in _in_round_trips(tx):
                    _decode(_run(driver, group))
                self.stepper.step()
        self.spent += time.perf_counter() - began
        self.transactions += len(transactions)

    def close(self) -> None:
        self.engine.dispose()


class _Stepper:
    """A model on a bare machine with one transition: the cheapest trigger `transitions` fires."""

    def __init__(self) -> None:
        self.machine = Machine(model=self, states=["before", "after"], initial="before", auto_transitions=False)
        self.machine.add_transition("step", "*", "after")

    def step(self) -> None:
        self.trigger("step")  # type: ignore[attr-defined]


def _in_round_trips(tx: list[Recorded]) -> list[list[Recorded]]:
    """Statements grouped as the desk sent them: reads it pipelined together go as one group."""
    groups: list[list[Recorded]] = []
    for recorded in tx:
        if recorded[2] == "together" and groups and groups[-1][-1][2] == "together":
            groups[-1].append(recorded)
        else:
            groups.append([recorded])
    return groups


def _run(driver: Any, group: list[Recorded]) -> list[Any]:
    statement, parameters, how = group[0]
    if how == "many":
        driver.cursor().executemany(statement, parameters)
        return []
    if how == "together":
        with driver.pipeline():
            cursors = [driver.cursor() for _ in group]
            for cursor, (sql, arguments, _) in zip(cursors, group, strict=True):
                cursor.execute(sql, arguments)
        return [row for cursor in cursors for row in cursor.fetchall()]
    cursor = driver.cursor()
    cursor.execute(statement, parameters)
    return cursor.fetchall() if cursor.description is not None else []


def _decode(rows: list[Any]) -> None:
    """SQLite hands JSON columns back as text: the desk decodes them (psycopg already has)."""
    for row in rows:
        for value in row:
            if isinstance(value, str) and value[:1] in ("{", "["):
                orjson.loads(value)


def drive(desk: Desk, n: int, bar: Any, after: Callable[[], None] = lambda: None) -> list[float]:
    """Files n complaints, then moves them all through each step; returns per-transition seconds.
    `after` runs after each transition, untimed (the floor's and the ceiling's replays of it)."""
    latencies: list[float] = []
    task = bar.add_task("desk transitions and their floor", total=n * TRANSITIONS_PER_COMPLAINT)
    numbers: list[str] = []
    for i in range(n):
        received = START + timedelta(seconds=i)
        began = time.perf_counter()
        numbers.append(desk.file(actor=AGENT, now=received, family="property", complainant=PERSON,
                                 channel="phone").number)
        latencies.append(time.perf_counter() - began)
        after()
        bar.advance(task)
    for step in STEPS:
        for i, number in enumerate(numbers):
            moment = START + timedelta(seconds=i) + step.offset
            began = time.perf_counter()
            step.run(desk, number, moment)
            latencies.append(time.perf_counter() - began)
            after()
            bar.advance(task)
    return latencies


def _driver_connection(url: str) -> tuple[Any, str | None]:
    """The bare driver, configured as the desk's engine configures it (WAL, synchronous=NORMAL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        connection = sqlite3.connect(parsed.database or "", isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        return connection, "BEGIN IMMEDIATE"
    import psycopg

    return psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False)), None


def fingerprint(engine: Engine) -> dict[str, Any]:
    """What the lifecycle leaves in the database, to check that the floor wrote the same."""
    with engine.connect() as conn:
        return {table: conn.execute(text(query)).one()._asdict() for table, query in (
            ("complaints", "SELECT count(*) AS n, sum(version) AS versions, count(DISTINCT status) AS states "
                           "FROM complaints"),
            ("events", "SELECT count(*) AS n, count(DISTINCT name) AS names FROM events"),
            ("timers", "SELECT count(*) AS n, count(done_at) AS done, count(fired_at) AS fired FROM timers"),
        )}


def run(n: int, db: str) -> dict[str, Any]:
    with (progress() as bar, fresh_database(db) as url, fresh_database(db) as floor_url,
          fresh_database(db) as ceiling_url):
        desk = open_desk(url, START)
        # The same schema, policies and directory rows on the floor's and the ceiling's databases.
        replicas = [open_desk(floor_url, START), open_desk(ceiling_url, START)]
        floor, ceiling, recorder = Floor(floor_url), Ceiling(ceiling_url), Recorder()

        def replay() -> None:
            taken = recorder.take()
            floor.replay(taken)
            ceiling.replay(taken)

        recorder.attach(desk)
        try:
            latencies = drive(desk, n, bar, after=replay)
        finally:
            recorder.detach()
            floor.close()
            ceiling.close()
        desk_s, floor_s = sum(latencies) - recorder.spent, floor.spent
        rss = peak_rss_mb()
        wrote = fingerprint(desk.engine)
        replayed = {side: fingerprint(replica.engine) for side, replica in zip(("floor", "ceiling"), replicas,
                                                                                strict=True)}
        for engine in (desk.engine, *(replica.engine for replica in replicas)):
            engine.dispose()
    for side, left in replayed.items():
        if left != wrote:  # the replays must be the same writes, or the ratios mean nothing
            raise BenchError(f"the {side}'s replay left {left}, the desk wrote {wrote}")
    count = len(latencies)
    latencies.sort()
    desk_rate, floor_rate = count / desk_s, floor.transactions / floor_s
    ceiling_rate = ceiling.transactions / ceiling.spent
    return {
        "complaints": n,
        "transitions": count,
        "transitions_per_s": round(desk_rate, 1),
        "floor_per_s": round(floor_rate, 1),
        "ratio": round(desk_rate / floor_rate, 3),
        "ceiling_per_s": round(ceiling_rate, 1),
        "ceiling_ratio": round(ceiling_rate / floor_rate, 3),  # the most a desk on this stack can keep
        "of_ceiling": round(desk_rate / ceiling_rate, 3),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        "peak_rss_mb": rss,
        "desk_s": round(desk_s, 2),
        "recording_s": round(recorder.spent, 2),  # taken off desk_s: the benchmark's own bookkeeping
        "floor_s": round(floor_s, 2),
        "ceiling_s": round(ceiling.spent, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lifecycle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="complaints to drive (default 20,000)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    if args.n < 1:
        fail("--n: drive at least one complaint")
    try:
        result = {"machine": machine(), "lifecycle": {args.db: run(args.n, args.db)}}
    except BenchError as exc:
        fail(str(exc))
    emit(f"lifecycle-{args.db}", result, as_json=args.json)


if __name__ == "__main__":
    main()
