"""Tiers: do urgent escalations keep their pace while a backlog of general and important timers
is fired after an outage?

    python -m benchmarks.tiers --db sqlite [--duration 120] [--urgent-rate 1] [--general 100000]
                               [--important 10000] [--quick] [--json]

Two runs on fresh databases of the same kind. In each, urgent timers fall due at a steady rate
during `duration` seconds (triage reminders of complaints filed unclassified, whose lane is
urgent), and one sweeper process per tier (benchmarks/tier_sweeper.py) sweeps its escalations
lane on the tier's production schedule (the shipped policies' `orchestration:`; 15 s, 60 s and
300 s), on the real clock. The second run also starts with `general` general and `important`
important timers all due at once (benchmarks/population.py). Measured: each urgent timer's
latency (recorded fired_at - due_at, and when the sweep that fired it had committed - due_at),
how fast each backlog drained, and whether any timer fired twice.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, func, select

from benchmarks.common import (
    DATABASES,
    BenchError,
    emit,
    fail,
    fresh_database,
    machine,
    open_desk,
    percentile,
    progress,
)
from benchmarks.population import AGENT, GENERAL_TYPE, PERSON, audit, load
from benchmarks.sweep import ROOT
from desk.intake import Intake
from desk.lanes import TIERS
from desk.store import tables
from desk.store.engine import make_engine
from policies import load_policy
from policies.policy import SHIPPED
from states import Family

IMPORTANT_TYPE = "service_attitude"  # a property complaint type of the important tier
# An unclassified property complaint's triage deadline is 30 minutes (clock time) and the first
# rung of its ladder, a reminder, is 20% before it: 24 minutes after receipt.
TRIAGE_REMINDER = timedelta(minutes=24)
TARGET_RATIO, TARGET_P99_S = 1.5, 30.0  # urgent p99 with the backlog: at most 1.5x without, under 30 s
STOP_GRACE_S = 900  # the flow's timeout: a backlog not drained by then is reported as left
SIZES = {
    "default": {"duration": 120.0, "urgent_rate": 1.0, "general": 100_000, "important": 10_000},
    "quick": {"duration": 15.0, "urgent_rate": 2.0, "general": 2_000, "important": 200},
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def schedule() -> dict[str, int]:
    """Seconds between escalation sweeps per tier, as deployments/schedules.py derives them: the
    shortest interval any shipped family policy asks for."""
    policies = [load_policy(SHIPPED / f"{family.value}.yaml") for family in Family]
    return {tier: min(p.orchestration(tier).escalations.seconds for p in policies) for tier in TIERS}


# -- the sweeper processes ----------------------------------------------------------------
class Sweepers:
    """One benchmarks.tier_sweeper process per tier; their per-sweep reports are gathered as
    they come (a thread each), so the run can end once the backlog is drained."""

    def __init__(self, url: str, every: dict[str, int]) -> None:
        self.sweeps: dict[str, list[dict[str, Any]]] = {tier: [] for tier in every}
        self.totals: dict[str, dict[str, Any]] = {}
        self.readers: list[threading.Thread] = []
        self.processes = {
            tier: subprocess.Popen([sys.executable, "-m", "benchmarks.tier_sweeper", "--url", url, "--tier", tier,
                                    "--every", str(seconds)],
                                   cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for tier, seconds in every.items()}

    def ready(self) -> None:
        for process in self.processes.values():
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise BenchError(f"a sweeper process did not start (exit code {process.wait()}; see above)")

    def go(self, start: float) -> None:
        for tier, process in self.processes.items():
            self._say(process, f"go {start!r}")
            reader = threading.Thread(target=self._read, args=(tier, process), daemon=True)
            reader.start()
            self.readers.append(reader)

    def _read(self, tier: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for text in process.stdout:
            line = json.loads(text)
            if line.get("done"):
                self.totals[tier] = line
            else:
                self.sweeps[tier].append(line)

    def fired(self, tier: str) -> int:
        return sum(line["fired"] for line in list(self.sweeps.get(tier, ())))

    def check_running(self) -> None:
        for tier, process in self.processes.items():
            if process.poll() is not None:
                raise BenchError(f"the {tier} sweeper stopped with exit code {process.returncode} (its error is above)")

    def stop(self) -> dict[str, dict[str, Any]]:
        """Each finishes the sweep in progress and reports its totals."""
        for process in self.processes.values():
            self._say(process, "stop")
        for reader in self.readers:
            reader.join(timeout=STOP_GRACE_S)
        for tier, process in self.processes.items():
            if process.wait(timeout=60) != 0 or tier not in self.totals:
                raise BenchError(f"the {tier} sweeper failed with exit code {process.returncode} (its error is above)")
        return self.totals

    def kill(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    @staticmethod
    def _say(process: subprocess.Popen[str], words: str) -> None:
        assert process.stdin is not None
        process.stdin.write(words + "\n")
        process.stdin.flush()


# -- the urgent stream --------------------------------------------------------------------
def file_stream(url: str, count: int, rate: float) -> tuple[float, dict[int, datetime]]:
    """Files `count` unclassified complaints whose triage reminders (urgent lane) fall due one
    every 1/rate seconds after a start a little ahead (so that filing is done before it), half a
    gap off the sweeps' slots: none falls due on the very instant a sweep reads the clock.
    Returns the start (Unix time) and the reminders' due times by timer id."""
    desk = open_desk(url, datetime.now(UTC))
    try:
        began = datetime.now(UTC)
        start = began + timedelta(seconds=2 + count / 500)  # filing runs at ~1,000 complaints a second
        due = [start + timedelta(seconds=(i + 0.5) / rate) for i in range(count)]
        received = [moment - TRIAGE_REMINDER for moment in due]
        # Filed now; one received later than now (a reminder due more than 24 minutes ahead) is
        # filed at its receipt instead: time is passed in.
        past = [r for r in received if r <= began]
        desk.file_many([_intake(r, began) for r in past], actor=AGENT, now=began)
        for moment in received[len(past):]:
            desk.file_many([_intake(moment, moment)], actor=AGENT, now=moment)
        T = tables.timers
        reminders = and_(T.c.tier == "urgent", T.c.kind == "escalation", T.c.stage == "triage", T.c.level == 1,
                         T.c.fired_at.is_(None), T.c.done_at.is_(None))
        with desk.engine.connect() as conn:
            found = conn.execute(select(T.c.id, T.c.due_at).where(reminders).order_by(T.c.due_at)).all()
    finally:
        desk.engine.dispose()
    if [_aware(row.due_at) for row in found] != due:
        raise BenchError(f"the {count} urgent reminders are not due when planned (24 minutes after receipt): "
                         "has the property policy's triage deadline or ladder changed?")
    if time.time() > start.timestamp() - 0.5:
        raise BenchError(f"filing {count} urgent complaints took longer than planned: "
                         "lower --urgent-rate or --duration")
    return start.timestamp(), {row.id: row.due_at for row in found}


def _intake(received: datetime, now: datetime) -> Intake:
    return Intake.check(family="property", complainant=PERSON, channel="phone", key=None, received_at=received,
                        now=now)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (_aware(moment) - EPOCH) // timedelta(microseconds=1)


# -- one run ------------------------------------------------------------------------------
def scenario(db: str, sizes: dict[str, Any], every: dict[str, int], backlog: bool, bar: Any) -> dict[str, Any]:
    """One run on a fresh database: the urgent stream, with or without the backlog."""
    general, important = (sizes["general"], sizes["important"]) if backlog else (0, 0)
    count = stream_size(sizes)
    result: dict[str, Any] = {}
    with fresh_database(db) as url:
        if general or important:
            at = datetime.now(UTC)  # the backlog fell due an hour ago; nothing else for 30 days
            result["load_s"] = 0.0
            if general:
                result["load_s"] += load(url, general, general, bar, type=GENERAL_TYPE, now=at).load_s
            if important:
                result["load_s"] += load(url, important, important, bar, type=IMPORTANT_TYPE, now=at,
                                         first=general).load_s
        # Schema and directory now, as `desk up` does before it starts the served processes: three
        # processes opening an empty PostgreSQL database at once would race to create the schema.
        open_desk(url, datetime.now(UTC)).engine.dispose()
        sweepers = Sweepers(url, every)
        try:
            sweepers.ready()
            start, stream = file_stream(url, count, sizes["urgent_rate"])
            sweepers.go(start)
            _sweep_until_done(sweepers, start, sizes["duration"], every, {"general": general, "important": important},
                              bar, "with backlog" if backlog else "without backlog")
            totals = sweepers.stop()
        finally:
            sweepers.kill()
        result.update(_measure(url, start, stream, sweepers.sweeps, {"general": general, "important": important}))
    reported = sum(t["fired"] for t in totals.values())
    result["fired_twice"] = reported - result.pop("_fired_timers") + result.pop("_duplicates")
    result["sweeps"] = {tier: _sweep_figures(sweepers.sweeps[tier], totals[tier]) for tier in every}
    return result


def stream_size(sizes: dict[str, Any]) -> int:
    return max(1, round(float(sizes["urgent_rate"]) * float(sizes["duration"])))


def _sweep_until_done(sweepers: Sweepers, start: float, duration: float, every: dict[str, int],
                      backlog: dict[str, int], bar: Any, name: str) -> None:
    """Until one urgent interval after the last urgent timer fell due (and a second to begin that
    sweep), and every backlog timer was fired; at most the flow's timeout longer."""
    end = start + duration + every["urgent"] + 1
    task = bar.add_task(f"sweeping {name}", total=round(end - time.time()))
    shown = time.time()
    while True:
        sweepers.check_running()
        now = time.time()
        drained = all(sweepers.fired(tier) >= due for tier, due in backlog.items())
        if (now >= end and drained) or now >= end + STOP_GRACE_S:
            return
        time.sleep(0.25)
        if time.time() - shown >= 1:
            bar.advance(task, round(time.time() - shown))
            shown += round(time.time() - shown)


def _measure(url: str, start: float, stream: dict[int, datetime], sweeps: dict[str, list[dict[str, Any]]],
             backlog: dict[str, int]) -> dict[str, Any]:
    """Latencies of the urgent stream, the backlog's drain, and what the database says was fired."""
    engine = make_engine(url)
    T = tables.timers
    try:
        with engine.connect() as conn:
            urgent = conn.execute(select(T.c.id, T.c.due_at, T.c.fired_at).where(
                and_(T.c.tier == "urgent", T.c.kind == "escalation", T.c.stage == "triage", T.c.level == 1))).all()
            left = dict(conn.execute(select(T.c.tier, func.count()).where(and_(
                T.c.tier.in_(list(backlog)), T.c.fired_at.is_(None), T.c.done_at.is_(None),
                T.c.due_at <= datetime.fromtimestamp(start, UTC))).group_by(T.c.tier)).tuples().all())
            fired = dict(conn.execute(select(T.c.tier, func.count()).where(T.c.fired_at.is_not(None))
                                      .group_by(T.c.tier)).tuples().all())
    finally:
        engine.dispose()
    found = audit(url)
    # The sweep that fired a timer is the one whose `now` the desk wrote as its fired_at.
    fired_by = {_micros(datetime.fromisoformat(line["now"])): line["fired_by"] for line in sweeps["urgent"]}
    recorded, committed = [], []
    for row in urgent:
        if row.id not in stream or row.fired_at is None:
            continue
        due = _aware(row.due_at)
        recorded.append((_aware(row.fired_at) - due).total_seconds())
        committed.append(fired_by[_micros(row.fired_at)] - due.timestamp())
    result: dict[str, Any] = {"urgent": {
        "timers": len(stream), "fired": len(recorded), "not_fired": len(stream) - len(recorded),
        "latency_s": _spread(recorded), "committed_latency_s": _spread(committed)}}
    for tier, size in backlog.items():
        if size:
            result[tier] = _drain(size, fired.get(tier, 0), left.get(tier, 0), start, sweeps[tier])
    result["_fired_timers"], result["_duplicates"] = found["fired_timers"], found["duplicate_escalations"]
    return result


def _spread(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p99": None, "max": None}
    return {"p50": round(percentile(ordered, 0.50), 3), "p99": round(percentile(ordered, 0.99), 3),
            "max": round(ordered[-1], 3)}


def _drain(due: int, fired: int, left: int, start: float, sweeps: list[dict[str, Any]]) -> dict[str, Any]:
    """How long the lane's sweeps took to fire its backlog: from the start until the sweep that
    fired the last of it had committed."""
    drained_s, total = None, 0
    for line in sweeps:
        total += line["fired"]
        if total >= due:
            drained_s = round(line["fired_by"] - start, 3)
            break
    return {"timers": due, "fired": fired, "left": left, "drained_s": drained_s,
            "fired_per_s": round(fired / drained_s, 1) if drained_s else None,
            "sweeps": sum(1 for line in sweeps if line["fired"])}


def _sweep_figures(lines: list[dict[str, Any]], totals: dict[str, Any]) -> dict[str, Any]:
    """How each tier's sweeps went: how many, how many failed (and why), how long the firing took."""
    took = sorted(line["fired_by"] - line["started"] for line in lines)
    starts = [line["started"] for line in lines]
    return {"sweeps": totals["sweeps"], "failed": totals["failed"], "errors": totals["errors"],
            "fire_p50_s": round(percentile(took, 0.5), 3), "fire_max_s": round(took[-1], 3) if took else 0.0,
            "longest_gap_s": round(max((b - a for a, b in pairwise(starts)), default=0.0), 3),
            "peak_rss_mb": totals["peak_rss_mb"]}


# -- the benchmark ------------------------------------------------------------------------
def run(db: str, sizes: dict[str, Any]) -> dict[str, Any]:
    every = schedule()
    with progress() as bar:
        without = scenario(db, sizes, every, backlog=False, bar=bar)
        with_ = scenario(db, sizes, every, backlog=True, bar=bar)
    before, after = without["urgent"]["latency_s"]["p99"], with_["urgent"]["latency_s"]["p99"]
    ratio = round(after / before, 3) if before and after is not None else None
    committed = (without["urgent"]["committed_latency_s"]["p99"], with_["urgent"]["committed_latency_s"]["p99"])
    committed_ratio = round(committed[1] / committed[0], 3) if committed[0] and committed[1] is not None else None
    return {
        "urgent_timers": stream_size(sizes),
        "urgent_rate": sizes["urgent_rate"],
        "duration_s": sizes["duration"],
        "general": sizes["general"],
        "important": sizes["important"],
        "every_s": every,
        "p99_ratio": ratio,
        "meets_target": ratio is not None and after is not None and ratio <= TARGET_RATIO and after < TARGET_P99_S,
        "committed_p99_ratio": committed_ratio,
        "committed_meets_target": committed_ratio is not None and committed[1] is not None
        and committed_ratio <= TARGET_RATIO and committed[1] < TARGET_P99_S,
        "fired_twice": without["fired_twice"] + with_["fired_twice"],
        "without_backlog": without,
        "with_backlog": with_,
    }


def sizes_from(args: argparse.Namespace) -> dict[str, Any]:
    chosen = dict(SIZES["quick" if args.quick else "default"])
    for name in chosen:
        if getattr(args, name) is not None:
            chosen[name] = getattr(args, name)
    if not 0 < chosen["duration"] <= 86_400:
        raise BenchError(f"--duration: {chosen['duration']} must be more than 0 and at most 86400 seconds")
    if chosen["urgent_rate"] <= 0 or stream_size(chosen) > 100_000:
        raise BenchError(f"--urgent-rate: {chosen['urgent_rate']} must be more than 0, and at most 100,000 urgent "
                         "timers in all (rate x duration)")
    for name in ("general", "important"):
        if chosen[name] < 0:
            raise BenchError(f"--{name}: {chosen[name]} must be 0 or more")
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tiers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--duration", type=float, help="seconds during which urgent timers fall due (default 120)")
    parser.add_argument("--urgent-rate", type=float, help="urgent timers falling due per second (default 1)")
    parser.add_argument("--general", type=int, help="general timers due at the start (default 100000)")
    parser.add_argument("--important", type=int, help="important timers due at the start (default 10000)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: 2,000 general, 200 important, 15 s of 2 urgent a second")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    try:
        result = {"machine": machine(), "tiers": {args.db: run(args.db, sizes_from(args))}}
    except BenchError as exc:
        fail(str(exc))
    emit(f"tiers-{args.db}", result, as_json=args.json)


if __name__ == "__main__":
    main()
