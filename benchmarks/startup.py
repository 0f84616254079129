"""Start-up: how long `desk --help` and `desk show N` take, run as a person runs them.

    python -m benchmarks.startup [--runs 5] --json

A fresh DESK_HOME (SQLite) with one complaint filed, the shipped policies. Each command runs
--runs times as a new process after one run that is not counted (it warms the file cache);
the figures are wall-clock seconds from starting the process to its exit. One more run under
`python -X importtime` tells how many modules the command imported and which imports cost most.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import BenchError, emit, fail, machine

IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed (exit code {done.returncode}): {done.stderr.strip()[-300:]}")
    return done


def _imports(stderr: str) -> dict[str, Any]:
    """`python -X importtime`: modules imported, and the top-level imports costing most (cumulative)."""
    rows = [(m[4], int(m[2]), len(m[3])) for m in map(IMPORT_LINE.match, stderr.splitlines()) if m]
    top = sorted((r for r in rows if r[2] == 1), key=lambda r: -r[1])[:8]
    return {"modules": len(rows), "heaviest_ms": {name: round(us / 1000, 1) for name, us, _ in top}}


def measure(args: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    desk = shutil.which("desk", path=str(Path(sys.executable).parent))
    command = [desk, *args] if desk else [sys.executable, "-m", "desk", *args]
    _run(command, env)  # not counted: warms the file cache
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        _run(command, env)
        seconds.append(time.perf_counter() - began)
    traced = _run([sys.executable, "-X", "importtime", "-m", "desk", *args], env)
    return {"median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3),
            "max_s": round(max(seconds), 3), "runs": runs, **_imports(traced.stderr)}


def run(runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="desk-bench-startup-") as home:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("DESK_")}, "DESK_HOME": home}
        filed = _run([sys.executable, "-m", "desk", "file", "--family", "property", "--name", "X",
                      "--phone", "13800000000", "--description", "d", "--as", "li-na"], env)
        number = filed.stdout.split()[0]
        return {
            "help": measure(["--help"], env, runs),
            "show": measure(["show", number], env, runs),
            "bytecode_written": not sys.flags.dont_write_bytecode,  # PYTHONDONTWRITEBYTECODE: desk/ compiled each run
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each command (default 5)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    if args.runs < 1:
        fail(f"--runs: {args.runs} must be at least 1")
    try:
        result = {"machine": machine(), "startup": run(args.runs)}
    except BenchError as exc:
        fail(str(exc))
    emit("startup", result, as_json=args.json)


if __name__ == "__main__":
    main()
