"""Sweep: how fast the escalation sweep fires D due timers among M open complaints, and what a
sweep costs when nothing is due.

    python -m benchmarks.sweep --open 10000,100000 --due 10000 --db sqlite --json

For each M, a fresh database is loaded in bulk (benchmarks/population.py: clones of one
complaint the desk filed itself; not timed), then one sweeper process (benchmarks/sweeper.py)
fires everything due with `Desk.fire_due_timers`, as the scheduled flow does. Afterwards the
database must show exactly D timers fired and D escalations recorded, none twice.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import DATABASES, BenchError, emit, fail, fresh_database, machine, progress
from benchmarks.population import Population, audit, load

ROOT = Path(__file__).resolve().parent.parent  # `python -m benchmarks.sweeper` is found from here


def run_sweepers(url: str, now: datetime, count: int, *, fire_only: bool = False) -> list[dict[str, Any]]:
    """Starts `count` sweeper processes, waits until all are ready, releases them together and
    returns what each reported."""
    command = [sys.executable, "-m", "benchmarks.sweeper", "--url", url, "--now", now.isoformat()]
    command += ["--fire-only"] if fire_only else []
    sweepers = [subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(count)]
    try:
        for sweeper in sweepers:
            assert sweeper.stdout is not None
            if sweeper.stdout.readline().strip() != "ready":
                raise BenchError(f"a sweeper process did not start (exit code {sweeper.wait()}; see above)")
        for sweeper in sweepers:  # one line each, back to back: they start within microseconds
            assert sweeper.stdin is not None
            sweeper.stdin.write("go\n")
            sweeper.stdin.flush()
        return [_report(sweeper) for sweeper in sweepers]
    finally:
        for sweeper in sweepers:
            if sweeper.poll() is None:
                sweeper.kill()
                sweeper.wait()


def _report(sweeper: subprocess.Popen[str]) -> dict[str, Any]:
    output, _ = sweeper.communicate()
    if sweeper.returncode != 0:
        raise BenchError(f"a sweeper process failed with exit code {sweeper.returncode} (its error is above)")
    lines = output.strip().splitlines()
    if not lines:
        raise BenchError("a sweeper process reported nothing")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def check(population: Population, fired: int) -> dict[str, int]:
    """Exactly the due timers fired, each once: by the sweepers' word and by the database's."""
    found = audit(population.url)
    problems = []
    if fired != population.due:
        problems.append(f"the sweepers report {fired} fired")
    if found["fired_timers"] != population.due:
        problems.append(f"{found['fired_timers']} timers are marked fired")
    if found["escalated_events"] != population.due:
        problems.append(f"{found['escalated_events']} Escalated events were recorded")
    if found["duplicate_escalations"]:
        problems.append(f"{found['duplicate_escalations']} escalations were recorded twice")
    if problems:
        raise BenchError(f"{population.due} timers were due but " + "; ".join(problems))
    return found


def sweep_one(db: str, open_count: int, due: int, bar: Any) -> dict[str, Any]:
    with fresh_database(db) as url:
        population = load(url, open_count, due, bar)
        (report,) = run_sweepers(url, population.now, 1)
        check(population, report["fired"])
    return {
        "open": open_count,
        "due": due,
        "fired": report["fired"],
        "fire_s": report["fire_s"],
        "fired_per_s": round(report["fired"] / report["fire_s"], 1) if report["fire_s"] else None,
        "deliver_s": report["deliver_s"],
        "empty_sweep_ms": report["empty_sweep_ms"],
        "peak_rss_mb": report["peak_rss_mb"],
        "baseline_rss_mb": report["baseline_rss_mb"],
        "load_s": population.load_s,
    }


def run(open_counts: list[int], due: int, db: str) -> list[dict[str, Any]]:
    with progress() as bar:
        return [sweep_one(db, m, due, bar) for m in open_counts]


def counts(values: list[str]) -> list[int]:
    """--open 10000 --open 100000 or --open 10000,100000 (underscores allowed: 1_000_000)."""
    try:
        found = [int(part) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        raise BenchError(f"--open: expected whole numbers, got {','.join(values)}") from None
    if not found or min(found) < 1:
        raise BenchError("--open: give at least one count of 1 or more")
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", action="append", metavar="M",
                        help="open complaints, repeatable or comma-separated (default 10000)")
    parser.add_argument("--due", type=int, default=10_000, help="complaints with a due timer (default 10000)")
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    try:
        open_counts = counts(args.open or ["10000"])
        if args.due < 0 or args.due > min(open_counts):
            raise BenchError(f"--due: {args.due} must be between 0 and the smallest --open ({min(open_counts)})")
        result = {"machine": machine(), "sweep": {args.db: run(open_counts, args.due, args.db)}}
    except BenchError as exc:
        fail(str(exc))
    emit(f"sweep-{args.db}", result, as_json=args.json)


if __name__ == "__main__":
    main()
