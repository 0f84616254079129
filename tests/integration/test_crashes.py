"""Crashes: a sweeper and a bulk import killed with SIGKILL at random points, then run again.

Nothing accepted is lost and nothing fires twice: every transaction either committed whole
or left no trace, and the rerun picks up exactly what was left. Real processes on real
databases (SQLite file and PostgreSQL); each test prints what it broke and what it checked.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from desk.intake import Intake
from desk.store.tables import complainants, complaints, events, outbox, timers
from desk.timers import wanted
from policies.policy import SHIPPED
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FILED = at("2026-11-23 09:00")
KILLS = 10  # the minimum per run
SEED = int(os.environ.get("DESK_FAULT_SEED") or random.SystemRandom().randrange(1 << 30))


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    return {**os.environ, "DESK_POLICY_DIR": str(SHIPPED), "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": url,
            "DESK_USER": "li-na", "PYTHONPATH": str(ROOT)}


def _count(url: str, tmp_path: Path, query: object) -> int:
    desk = open_desk(url, tmp_path)
    try:
        with desk.reading() as uow:
            return int(uow.connection.execute(query).scalar_one())  # type: ignore[call-overload]
    finally:
        desk.engine.dispose()


def test_a_sweeper_killed_again_and_again_fires_each_timer_once(database_url: str, tmp_path: Path) -> None:
    """Mixed tiers, swept by the lanes of one tier or of every tier from one run to the next, as
    the per-tier deployments would after a crash: every due timer fires once all the same."""
    desk = open_desk(database_url, tmp_path)
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    filed = 1667  # untriaged (the urgent lane): a triage deadline and two escalations due within the hour
    desk.file_many([Intake("property", "phone", f"k{i}", FILED, person) for i in range(filed)],
                   actor="li-na", now=FILED)
    general = 400  # filed ten days earlier, classified general: resolve deadline and two rungs overdue
    earlier = FILED - timedelta(days=10)
    for row in desk.file_many([Intake("property", "phone", f"g{i}", earlier, person) for i in range(general)],
                              actor="li-na", now=earlier):
        desk.classify(row.number, actor="li-na", now=FILED, type="cleaning_late")
    desk.engine.dispose()
    sweep_at = (FILED + timedelta(hours=1)).isoformat()
    due = _count(database_url, tmp_path, select(func.count()).select_from(timers).where(
        timers.c.fired_at.is_(None), timers.c.done_at.is_(None), timers.c.due_at <= FILED + timedelta(hours=1)))
    due_in = {tier: _count(database_url, tmp_path, select(func.count()).select_from(timers).where(
        timers.c.tier == tier, timers.c.done_at.is_(None), timers.c.due_at <= FILED + timedelta(hours=1)))
        for tier in ("urgent", "general")}
    assert due == 3 * filed + 3 * general and due_in == {"urgent": 3 * filed, "general": 3 * general}

    rng = random.Random(SEED)
    kills: list[str] = []
    runs = 0
    while True:  # killed KILLS times, each time part-way; then one run to the end
        runs += 1
        killing = len(kills) < KILLS
        lanes = rng.choice(["all", "urgent", "general", "general,urgent"]) if killing else "all"
        command = [sys.executable, "-m", "tests.integration.workers", "sweep", database_url, str(tmp_path), sweep_at,
                   "--lanes", lanes]
        inside = killing and rng.random() < 0.5
        if inside:  # dies by its own SIGKILL just before a random statement (a batch runs about ten)
            command += ["--die-at-statement", str(rng.randint(3, 40))]
        process = subprocess.Popen(command, cwd=ROOT, env=_env(tmp_path, database_url), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None
        # Killed from outside as soon as it reports its k-th committed batch: by then it is
        # already inside the next one, at a point no one chose.
        kill_after = rng.randint(1, 3) if killing and not inside else None
        batches = 0
        for line in process.stdout:
            if line.startswith("fired"):
                batches += 1
                if batches == kill_after:
                    process.send_signal(signal.SIGKILL)
                    break
        _, errors = process.communicate(timeout=300)
        if process.returncode == -signal.SIGKILL:
            kills.append("inside a transaction" if inside else f"after batch {kill_after}")
            continue
        assert process.returncode == 0, errors
        if not killing or (batches == 0 and lanes == "all"):
            break  # the run to the end, or nothing was left to fire: the timers ran out before the kills

    fired = _count(database_url, tmp_path, select(func.count()).select_from(timers)
                   .where(timers.c.fired_at.is_not(None)))
    pending = _count(database_url, tmp_path, select(func.count()).select_from(timers).where(
        timers.c.fired_at.is_(None), timers.c.done_at.is_(None), timers.c.due_at <= FILED + timedelta(hours=1)))
    desk = open_desk(database_url, tmp_path)
    with desk.reading() as uow:
        escalated = Counter(
            (row.complaint_id, row.data["stage"], row.data["level"]) for row in uow.connection.execute(
                select(events.c.complaint_id, events.c.data).where(events.c.name == "Escalated")))
        notices = Counter((row.complaint_id, row.recipient, row.kind, row.payload["stage"], row.payload["level"])
                          for row in uow.connection.execute(
                              select(outbox.c.complaint_id, outbox.c.recipient, outbox.c.kind, outbox.c.payload)))
    desk.engine.dispose()
    twice = sum(1 for n in escalated.values() if n > 1) + sum(1 for n in notices.values() if n > 1)
    print(f"\nseed {SEED}: {len(kills)} SIGKILLs survived in {runs} runs "
          f"({sum(k == 'inside a transaction' for k in kills)} inside a transaction, the rest from outside); "
          f"{fired} of {due} due timers fired, {pending} left pending, {sum(escalated.values())} escalation "
          f"events, {twice} duplicates")
    assert len(kills) >= KILLS
    assert fired == due and pending == 0  # every due timer fired
    assert len(escalated) == 2 * (filed + general) and twice == 0  # every escalation once: one event, one notice


def test_pausing_and_resuming_killed_again_and_again_moves_every_deadline_once(database_url: str,
                                                                              tmp_path: Path) -> None:
    """Pause and resume (issue 15), each complaint's in one transaction, killed by SIGKILL just
    before random statements between and inside them, then run again: every complaint ends
    paused once and resumed once, no timer is lost, doubled or left held, and every pending one
    is where a replay of the complaint's history puts it (moved by the paused time exactly once)."""
    desk = open_desk(database_url, tmp_path)
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    numbers = [row.number for row in desk.file_many(
        [Intake("property", "phone", f"p{i}", FILED, person) for i in range(40)], actor="li-na", now=FILED)]
    for number in numbers:
        desk.classify(number, actor="li-na", now=FILED, type="service_attitude")  # important: 13 working days
        desk.assign(number, actor="li-na", now=FILED, handler="zhang-li")
    desk.engine.dispose()
    paused_at, resumed_at = FILED + timedelta(days=2), FILED + timedelta(days=6, hours=3)  # across a weekend

    rng = random.Random(SEED)
    kills, runs = 0, 0
    while True:
        runs += 1
        die_at = rng.randint(3, 150) if kills < KILLS else 0  # a complaint takes about 15 statements
        process = subprocess.run(
            [sys.executable, "-m", "tests.integration.workers", "pause", database_url, str(tmp_path),
             paused_at.isoformat(), resumed_at.isoformat(), str(die_at), *numbers],
            cwd=ROOT, env=_env(tmp_path, database_url), capture_output=True, text=True, timeout=300)
        if process.returncode == -signal.SIGKILL:
            kills += 1
            continue
        assert process.returncode == 0, process.stderr
        if die_at == 0:
            break

    desk = open_desk(database_url, tmp_path)
    moved = 0
    with desk.reading() as uow:
        for number in numbers:
            loaded = uow.complaints.get(number)
            c, policy = loaded.complaint, desk.book.for_complaint(loaded.complaint, uow)
            assert [(p.at, p.resumed_at) for p in c.pauses] == [(paused_at, resumed_at)], number
            assert [e.name for e in c.events].count("Paused") == 1 == [e.name for e in c.events].count("Resumed")
            rows = uow.timers.keys_of(loaded.id)
            stored = {(t["kind"], t["stage"], t["level"], t["round"]): t for t in rows}
            assert len(stored) == len(rows) and not [t for t in rows if t["held_since"] is not None], number
            fresh = wanted(policy, c)
            pending = {k: t for k, t in stored.items() if t["done_at"] is None and t["fired_at"] is None}
            assert set(pending) == {k for k in fresh if k[0] != "pause_cap"}, number
            assert all(t["due_at"] == fresh[k]["due_at"] for k, t in pending.items()), number
            moved += len(pending)
    desk.engine.dispose()
    print(f"\nseed {SEED}: {kills} SIGKILLs survived in {runs} runs while pausing and resuming 40 complaints; "
          f"{moved} pending timers each moved once, none lost, doubled or left held")
    assert kills >= KILLS


BATCH = 100  # rows per transaction of the bulk import
# A batch of new rows runs this many statements: look up its keys, bump the number counter, a
# complaint each, then its complainants, receipts and timers (the very first batch also creates
# the counter). Dying before statement 3 to 105 of one is dying after its first write, short of
# its commit; a batch that runs fewer leaves the worker alive, and the test fails saying so.
BATCH_STATEMENTS = 105


def _filed_so_far(url: str, tmp_path: Path) -> tuple[set[str], list[int]]:
    """The idempotency keys stored, and how many complaints, complainants and receipts there are."""
    desk = open_desk(url, tmp_path)
    try:
        with desk.reading() as uow:
            keys = set(uow.connection.execute(select(complaints.c.idempotency_key)).scalars())
            counts = [int(uow.connection.execute(query).scalar_one()) for query in (
                select(func.count()).select_from(complaints), select(func.count()).select_from(complainants),
                select(func.count()).select_from(events).where(events.c.name == "Received"))]
            return keys, counts
    finally:
        desk.engine.dispose()


def _file_until_killed(command: list[str], env: dict[str, str]) -> tuple[dict[str, Any], list[int]]:
    """Runs the import worker to its own SIGKILL: where it says it died, and what it saved before."""
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    lines, code = process.stdout.splitlines(), process.returncode
    assert code == -signal.SIGKILL, (
        f"the import was not killed inside its batch (exit {code}): {lines[-3:]} {process.stderr[-2000:]}")
    saved = [int(line.split()[1]) for line in lines if line.startswith("saved ")]
    return json.loads(lines[-1]), saved


def test_bulk_intake_killed_and_run_again_files_each_complaint_once(database_url: str, tmp_path: Path) -> None:
    rows = [{"family": "property", "key": f"hotline-{i:05d}", "name": f"业主{i}", "phone": f"139{i:08d}",
             "description": "楼道灯不亮", "received_at": "2026-11-23T09:00:00+08:00"} for i in range(2000)]
    keys = [row["key"] for row in rows]
    source = tmp_path / "hotline.json"
    source.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    env = _env(tmp_path, database_url)
    rng = random.Random(SEED)
    deaths: list[str] = []
    stored = 0  # batches in the database: every kill so far left whole batches only
    for _ in range(4):
        # Each run files from the start: the stored batches are found under their keys, then it
        # commits a few more and dies half-way through the next, at a statement drawn here.
        batch, statement = stored + rng.randint(1, 3), rng.randint(3, BATCH_STATEMENTS)
        death, saved = _file_until_killed(
            [sys.executable, "-m", "tests.integration.workers", "file", database_url, str(tmp_path),
             (FILED + timedelta(hours=1)).isoformat(), "--from", str(source), "--batch", str(BATCH),
             "--die-in-batch", str(batch), "--die-at-statement", str(statement)], env)
        # It died where it was sent, with batch-1 batches committed and the next one begun.
        assert (death["batch"], death["statement"], death["committed"]) == (batch, statement, batch - 1)
        assert death["ran"] == statement - 1 and death["writes"] >= 1  # the batch had started writing
        assert saved == [BATCH * n for n in range(1, batch)]
        # The killed batch left nothing; every batch before it is there, whole.
        filed, counts = _filed_so_far(database_url, tmp_path)
        killed = set(keys[(batch - 1) * BATCH:batch * BATCH])
        assert not filed & killed, f"{len(filed & killed)} rows of killed batch {batch} were kept"
        assert filed == set(keys[:(batch - 1) * BATCH])
        assert counts == [len(filed)] * 3  # complaints, complainants, receipts: none of the killed batch's
        stored = batch - 1
        deaths.append(f"batch {batch} before statement {statement} ({death['next']}) after {death['ran']} of its "
                      f"statements, {death['writes']} writes, {death['complaints']} complaints -> {len(filed)} stored")
    before = _count(database_url, tmp_path, select(func.count()).select_from(complaints))
    finished = subprocess.run([sys.executable, "-m", "desk", "file", "--from", str(source), "--batch", str(BATCH)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr

    total = _count(database_url, tmp_path, select(func.count()).select_from(complaints))
    distinct = _count(database_url, tmp_path, select(func.count(func.distinct(complaints.c.idempotency_key))))
    people = _count(database_url, tmp_path, select(func.count()).select_from(complainants))
    received = _count(database_url, tmp_path, select(func.count()).select_from(events)
                      .where(events.c.name == "Received"))
    timerless = _count(database_url, tmp_path, select(func.count()).select_from(complaints).where(
        ~select(timers.c.id).where(timers.c.complaint_id == complaints.c.id).exists()))
    print(f"\nseed {SEED}: bulk intake SIGKILLed {len(deaths)} times inside a batch: " + "; ".join(deaths)
          + f"\nafter the rerun: {total} complaints, {distinct} distinct keys, {people} complainants, "
          f"{received} receipts, {timerless} without deadlines; rerun said: {finished.stdout.strip()}")
    assert total == distinct == people == received == 2000 and timerless == 0
    assert f"{2000 - before} filed, {before} already filed under their keys" in finished.stdout
