"""The processes the fault tests start, kill and race (real processes, as Prefect workers are).

    python -m tests.integration.workers sweep URL HOME NOW [--die-at-statement N] [--batch B]
    python -m tests.integration.workers file URL HOME NOW --from F --batch B --die-in-batch K --die-at-statement N
    python -m tests.integration.workers handle URL HOME NOW WORKER NUMBER...
    python -m tests.integration.workers pause URL HOME NOW RESUME_AT DIE_AT NUMBER...

`sweep` prints "ready", then "fired N" after each committed batch and "done" at the end.
With --die-at-statement it SIGKILLs itself just before its Nth SQL statement: a crash at an
exact, random point inside a transaction, which an outside kill can only hit by luck.

`file` is `desk file --from F --batch B` (the same reading of the file, the same `file_many`),
as $DESK_USER, printing "saved N" after each committed batch. It SIGKILLs itself just before
the Nth SQL statement of its Kth batch (N >= 2: that batch's transaction has begun and run
statements, and has not reached its commit). Just before, it prints one JSON line saying where
it dies: the batch, the statement, what that batch had run and written, the batches committed.

`pause` pauses each complaint not paused yet (waiting for the water company) at NOW, then resumes
each paused one at RESUME_AT, dying by SIGKILL just before its DIE_AT-th statement (0: never).
Run again, it finishes what the killed run left: the held deadlines are moved once, whenever
the crash came.

`handle` races the other handlers over the same complaints. Each round it reads them all,
prints "read", waits for a line on stdin, then goes through them in its own order, firing the
trigger each one's state called for, with the version it read (optimistic locking).
It prints one JSON line per attempt: what it tried, and whether it was saved or refused and why.
The test releases a round only once every handler has read: the handlers then act on the same
board, so they collide however the operating system schedules them (a race left to timing can
let one process finish everything before the others start, and then nothing is tested).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from desk.config import Settings
from desk.errors import DeskError
from desk.intake import read_rows
from desk.lanes import LANES
from desk.service import Desk
from desk.store.prepared import Statements
from states import ComplaintError

HANDLER = "zhang-li"


def _open(url: str, home: str, now: datetime) -> Desk:
    return Desk.open(Settings(database_url=url, home=Path(home), policy_dir=Path(os.environ["DESK_POLICY_DIR"]),
                              user=None), now=now)


def watch_statements(desk: Desk, see: Callable[[str], None]) -> None:
    """Calls `see` with each SQL statement just before the driver gets it, whichever path runs
    it: SQLAlchemy's execution (its event) or the prepared statements on the driver's cursor."""
    event.listen(desk.engine, "before_cursor_execute", lambda _conn, _cursor, sql, *_: see(sql))
    Statements.observers.append(lambda sql, *_: see(sql))


def die_at_statement(desk: Desk, n: int) -> None:
    """SIGKILL this process just before its nth statement, whichever path runs it."""
    seen = [0]

    def count(_sql: str) -> None:
        seen[0] += 1
        if seen[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    watch_statements(desk, count)


def sweep(url: str, home: str, now: datetime, die_at: int | None, batch: int, lanes: str) -> None:
    """Sweeps `lanes` ("all", or tiers like "urgent,general": both jobs of each), as the
    deployments of those tiers would."""
    desk = _open(url, home, now)
    if die_at:
        die_at_statement(desk, die_at)
    chosen = LANES if lanes == "all" else [lane for lane in LANES if lane.tier in lanes.split(",")]
    print("ready", flush=True)
    fired = desk.fire_due_timers(now, limit=1_000_000, batch=batch, lanes=chosen,
                                 progress=lambda n: print(f"fired {n}", flush=True))
    print("done", json.dumps([[f.number, f.kind, f.stage, f.level] for f in fired]), flush=True)


@dataclass
class Death:
    """Where a bulk import was when it killed itself, as it reports it."""

    batch: int  # the transaction it died in, counted from 1: the batch of rows being filed
    statement: int  # the statement of that batch it died just before, counted from 1
    ran: int = 0  # statements of that batch executed before it
    writes: int = 0  # how many of them wrote (INSERT, UPDATE)
    complaints: int = 0  # how many of them inserted a complaint
    committed: int = 0  # batches this process had committed before it
    next: str = ""  # the start of the statement it did not get to run


def die_inside_batch(desk: Desk, batch: int, statement: int) -> None:
    """SIGKILL this process just before the `statement`th statement of its `batch`th transaction,
    after printing where (one JSON line): a crash inside a batch that is half written."""
    if statement < 2:
        raise SystemExit("--die-at-statement must be 2 or more: before the first statement is between batches")
    at = Death(batch=0, statement=statement)

    def begin(_conn: Any) -> None:
        at.batch += 1
        at.ran = at.writes = at.complaints = 0

    def commit(_conn: Any) -> None:
        at.committed += 1

    def see(sql: str) -> None:
        if at.batch == batch and at.ran + 1 == statement:
            at.next = " ".join(sql.split()[:3])
            print(json.dumps(asdict(at)), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        at.ran += 1
        at.writes += sql.lstrip().upper().startswith(("INSERT", "UPDATE"))
        at.complaints += sql.lstrip().upper().startswith("INSERT INTO COMPLAINTS ")

    # Each batch of file_many is one unit of work, so one transaction: its BEGIN starts a batch.
    event.listen(desk.engine, "begin", begin)
    event.listen(desk.engine, "commit", commit)
    watch_statements(desk, see)


def file(url: str, home: str, now: datetime, source: Path, batch: int, die_in_batch: int, die_at: int) -> None:
    """`desk file --from source --batch batch`, dying inside its batch `die_in_batch`."""
    rows = read_rows(source, now)  # as the CLI: every row checked before the desk is opened
    desk = _open(url, home, now)
    die_inside_batch(desk, die_in_batch, die_at)
    desk.file_many(rows, actor=os.environ["DESK_USER"], now=now, batch=batch,
                   progress=lambda n: print(f"saved {n}", flush=True))
    print("done", flush=True)


ROUNDS = 6  # findings added in the first rounds, the resolution in the last


def next_step(status: str, round_: int, worker: str) -> tuple[str, dict[str, Any]] | None:
    """The handler's part of the lifecycle (property family): investigate, add to the findings
    for a while, then resolve; nothing once resolved."""
    if status == "assigned" or (status == "investigated" and round_ < ROUNDS - 1):
        return "record_findings", {"findings": f"{worker}, round {round_}: checked on site"}
    if status == "investigated":
        return "resolve", {"resolution": "repair", "detail": "fixed"}
    return None


def handle(url: str, home: str, now: datetime, worker: str, numbers: list[str]) -> None:
    desk = _open(url, home, now)
    order = random.Random(worker)  # each handler walks the same complaints in its own order
    for round_ in range(ROUNDS):
        # Like a person with the list open: read every complaint, then work through them with
        # what was read, while the other handlers change some of them in between.
        with desk.reading() as uow:
            board = {number: uow.complaints.get(number) for number in numbers}
        print("read", flush=True)
        sys.stdin.readline()  # "go": every handler has read this round's board
        for number in order.sample(numbers, len(numbers)):
            loaded = board[number]
            step = next_step(loaded.complaint.status, round_, worker)
            if step is None:
                continue
            trigger, args = step
            report: dict[str, Any] = {"worker": worker, "number": number, "trigger": trigger,
                                      "read_version": loaded.version}
            try:
                outcome = getattr(desk, trigger)(number, actor=HANDLER, now=now + timedelta(minutes=round_),
                                                 expected_version=loaded.version, **args)
            except (DeskError, ComplaintError) as refusal:
                report.update(saved=False, error=type(refusal).__name__, reason=str(refusal))
            else:
                report.update(saved=True, version=outcome.version, event=outcome.event.name)
            print(json.dumps(report, ensure_ascii=False), flush=True)
    print("done", flush=True)


def pause_and_resume(url: str, home: str, now: datetime, resume_at: datetime, die_at: int,
                     numbers: list[str]) -> None:
    desk = _open(url, home, now)
    if die_at:
        die_at_statement(desk, die_at)
    print("ready", flush=True)
    for number in numbers:
        with desk.reading() as uow:
            c = uow.complaints.get(number).complaint
        if not c.pauses:
            desk.pause(number, actor=HANDLER, now=now, reason="awaiting_utility")
    for number in numbers:
        with desk.reading() as uow:
            c = uow.complaints.get(number).complaint
        if c.paused is not None:
            desk.resume(number, actor=HANDLER, now=resume_at)
    print("done", flush=True)


def main(argv: list[str]) -> None:
    kind, url, home, now = argv[0], argv[1], argv[2], datetime.fromisoformat(argv[3])
    if kind == "sweep":
        options = dict(zip(argv[4::2], argv[5::2], strict=True))
        die_at = int(options.get("--die-at-statement", 0)) or None
        sweep(url, home, now, die_at, int(options.get("--batch", 50)), options.get("--lanes", "all"))
    elif kind == "file":
        options = dict(zip(argv[4::2], argv[5::2], strict=True))
        file(url, home, now, Path(options["--from"]), int(options["--batch"]), int(options["--die-in-batch"]),
             int(options["--die-at-statement"]))
    elif kind == "handle":
        handle(url, home, now, argv[4], argv[5:])
    elif kind == "pause":
        pause_and_resume(url, home, now, datetime.fromisoformat(argv[4]), int(argv[5]), argv[6:])
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
