"""Scale-out: does a second sweeper process add throughput on PostgreSQL, with every timer still
fired exactly once?

    python -m benchmarks.scale_out --due 10000 --open 10000 --json

The same population (benchmarks/population.py) is loaded twice into fresh databases: one
sweeper fires the first, two sweepers released together fire the second. Throughput is timers
fired per second of wall time, from the first sweeper's start to the last one's end.
`double_fired` counts timers fired twice, by the sweepers' reports against the database and by
escalations recorded twice; anything but 0 is a bug.
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.common import BenchError, emit, fail, fresh_database, machine, progress
from benchmarks.population import audit, load
from benchmarks.sweep import run_sweepers

DB = "postgresql"  # SQLite has one writer at a time: a second sweeper can only wait


def sweep_with(sweepers: int, open_count: int, due: int, bar: Any) -> dict[str, Any]:
    """Loads a fresh database and lets `sweepers` processes fire its due timers together."""
    with fresh_database(DB) as url:
        population = load(url, open_count, due, bar)
        reports = run_sweepers(url, population.now, sweepers, fire_only=True)
        found = audit(url)
    fired = sum(r["fired"] for r in reports)
    wall = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    return {
        "per_s": round(fired / wall, 1) if wall > 0 else None,
        "shares": [r["fired"] for r in reports],
        # Reported more often than the database marked fired, or an escalation recorded twice.
        "double_fired": fired - found["fired_timers"] + found["duplicate_escalations"],
        "missed": due - found["fired_timers"],
    }


def run(due: int, open_count: int) -> dict[str, Any]:
    with progress() as bar:
        one = sweep_with(1, open_count, due, bar)
        two = sweep_with(2, open_count, due, bar)
    if one["missed"] or two["missed"]:
        raise BenchError(f"{max(one['missed'], two['missed'])} of {due} due timers were not fired")
    return {
        "one_per_s": one["per_s"],
        "two_per_s": two["per_s"],
        "ratio": round(two["per_s"] / one["per_s"], 3) if one["per_s"] and two["per_s"] else None,
        "double_fired": one["double_fired"] + two["double_fired"],
        "due": due,
        "open": open_count,
        "shares": two["shares"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_out", description=__doc__.split("\n\n")[0])
    parser.add_argument("--due", type=int, default=10_000, help="complaints with a due timer (default 10000)")
    parser.add_argument("--open", type=int, default=None, help="open complaints (default: as many as --due)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    open_count = args.due if args.open is None else args.open
    if args.due < 1 or open_count < args.due:
        fail(f"--due: {args.due} must be at least 1 and at most --open ({open_count})")
    try:
        result = {"machine": machine(), "scale_out": run(args.due, open_count)}
    except BenchError as exc:
        fail(str(exc))
    emit("scale_out", result, as_json=args.json)


if __name__ == "__main__":
    main()
