"""The processes the fault tests start, kill and race (real processes, as Prefect workers are).

    python -m tests.integration.workers sweep URL HOME NOW [--die-at-statement N] [--batch B]
    python -m tests.integration.workers handle URL HOME NOW WORKER NUMBER...

`sweep` prints "ready", then "fired N" after each committed batch and "done" at the end.
With --die-at-statement it SIGKILLs itself just before its Nth SQL statement: a crash at an
exact, random point inside a transaction, which an outside kill can only hit by luck.

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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from desk.config import Settings
from desk.errors import DeskError
from desk.service import Desk
from desk.store.prepared import Statements
from states import ComplaintError

HANDLER = "zhang-li"


def _open(url: str, home: str, now: datetime) -> Desk:
    return Desk.open(Settings(database_url=url, home=Path(home), policy_dir=Path(os.environ["DESK_POLICY_DIR"]),
                              user=None), now=now)


def die_at_statement(desk: Desk, n: int) -> None:
    """SIGKILL this process just before its nth statement, whichever path runs it."""
    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1
        if seen[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(desk.engine, "before_cursor_execute", count)
    Statements.observers.append(count)


def sweep(url: str, home: str, now: datetime, die_at: int | None, batch: int) -> None:
    desk = _open(url, home, now)
    if die_at:
        die_at_statement(desk, die_at)
    print("ready", flush=True)
    desk.fire_due_timers(now, limit=1_000_000, batch=batch, progress=lambda n: print(f"fired {n}", flush=True))
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


def main(argv: list[str]) -> None:
    kind, url, home, now = argv[0], argv[1], argv[2], datetime.fromisoformat(argv[3])
    if kind == "sweep":
        options = dict(zip(argv[4::2], argv[5::2], strict=True))
        die_at = int(options.get("--die-at-statement", 0)) or None
        sweep(url, home, now, die_at, int(options.get("--batch", 50)))
    elif kind == "handle":
        handle(url, home, now, argv[4], argv[5:])
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
