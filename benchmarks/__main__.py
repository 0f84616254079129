"""All the benchmarks, merged into one JSON result (`make bench`, `make bench-quick`).

    python -m benchmarks [--quick | --full] [--json]

Each benchmark runs in a process of its own, one after the other, so that peak memory is its
own and no run competes with another for the CPU. Their progress bars pass through on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks.common import ADMIN_URL, DATABASES, PART_OF_A_RUN, BenchError, emit, fail, machine, stderr
from benchmarks.sweep import ROOT


def sizes(quick: bool, full: bool) -> dict[str, Any]:
    """What each benchmark is asked to do; --quick is a smoke run of a few minutes (most of it the
    tiers benchmark, which sweeps on the real clock at the production intervals)."""
    if quick:
        return {"lifecycle_n": 300, "sweep_open": [2_000], "sweep_due": 1_000, "scale_out_due": 1_000,
                "tiers": ["--quick"], "api": ["--quick"], "whatif_n": 1_000, "console": ["--quick"]}
    sweep_open = [10_000, 100_000] + ([1_000_000] if full else [])
    return {"lifecycle_n": 20_000, "sweep_open": sweep_open, "sweep_due": 10_000, "scale_out_due": 10_000,
            "tiers": [], "api": [], "whatif_n": 10_000, "console": []}


def run_module(module: str, *args: str) -> dict[str, Any]:
    """Runs `python -m benchmarks.<module> ... --json` and returns the JSON it printed."""
    command = [sys.executable, "-m", f"benchmarks.{module}", *args, "--json"]
    stderr.print(f"[bold]{' '.join(command[1:])}[/bold]")
    began = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False,
                          env={**os.environ, PART_OF_A_RUN: "1"})
    if done.returncode != 0:
        raise BenchError(f"benchmarks.{module} {' '.join(args)} failed (exit code {done.returncode}; see above)")
    stderr.print(f"[dim]{module} took {time.perf_counter() - began:.1f} s[/dim]")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_all(quick: bool, full: bool) -> dict[str, Any]:
    plan = sizes(quick, full)
    found = machine()
    if found["postgresql"] is None:  # say so now, not after the SQLite runs
        raise BenchError(f"PostgreSQL at {ADMIN_URL} is not reachable (set DESK_BENCH_POSTGRES_URL)")
    result: dict[str, Any] = {"machine": found, "startup": {}, "lifecycle": {}, "sweep": {}, "scale_out": {},
                              "tiers": {}, "api": {}, "whatif": {}, "console": {}}
    result["startup"] = run_module("startup")["startup"]  # seconds; first, on a machine not yet warm from the rest
    for db in DATABASES:
        lifecycle = run_module("lifecycle", "--n", str(plan["lifecycle_n"]), "--db", db)
        result["lifecycle"][db] = lifecycle["lifecycle"][db]
    open_counts = ",".join(str(m) for m in plan["sweep_open"])
    for db in DATABASES:
        sweep = run_module("sweep", "--open", open_counts, "--due", str(plan["sweep_due"]), "--db", db)
        result["sweep"][db] = sweep["sweep"][db]
    due = str(plan["scale_out_due"])
    result["scale_out"] = run_module("scale_out", "--due", due, "--open", due)["scale_out"]
    for db in DATABASES:
        result["tiers"][db] = run_module("tiers", *plan["tiers"], "--db", db)["tiers"][db]
    for db in DATABASES:
        result["api"][db] = run_module("api", *plan["api"], "--db", db)["api"][db]
    for db in DATABASES:
        result["whatif"][db] = run_module("whatif", "--n", str(plan["whatif_n"]), "--db", db)["whatif"][db]
    for db in DATABASES:
        result["console"][db] = run_module("console", *plan["console"], "--db", db)["console"][db]
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a few minutes")
    size.add_argument("--full", action="store_true", help="also sweep 1,000,000 open complaints (minutes)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    try:
        result = run_all(args.quick, args.full)
    except BenchError as exc:
        fail(str(exc))
    emit("bench", result, as_json=args.json)


if __name__ == "__main__":
    main()
