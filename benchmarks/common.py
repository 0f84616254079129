"""What every benchmark shares: fresh databases, the machine's description, peak memory,
progress bars on stderr and results as JSON (stdout and benchmarks/results/).

PostgreSQL comes from DESK_BENCH_POSTGRES_URL (default: the local server, database `test`);
each run creates a database of its own and drops it afterwards. Results go to
DESK_BENCH_RESULTS (default: benchmarks/results/).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from desk.config import Settings, normalise_url
from desk.service import Desk
from policies.policy import SHIPPED

RESULTS = Path(os.environ.get("DESK_BENCH_RESULTS") or Path(__file__).parent / "results")
ADMIN_URL = normalise_url(os.environ.get("DESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
DATABASES = ("sqlite", "postgresql")
PART_OF_A_RUN = "DESK_BENCH_PART_OF_A_RUN"  # set by `python -m benchmarks` for the pieces it runs
stderr = Console(stderr=True)


class BenchError(Exception):
    """A benchmark cannot run (PostgreSQL unreachable, a bad option): said in one line."""


@contextmanager
def fresh_database(db: str) -> Iterator[str]:
    """A new, empty database of the kind asked for; removed when the block ends."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="desk-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'desk.db'}"
        return
    if db != "postgresql":
        raise BenchError(f"--db: '{db}' is not one of {', '.join(DATABASES)}")
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"desk_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        raise BenchError(f"PostgreSQL at {ADMIN_URL} is not reachable (DESK_BENCH_POSTGRES_URL): {exc.orig}") from exc
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def open_desk(url: str, now: datetime) -> Desk:
    """The desk as the CLI opens it (schema, shipped policies, directory), on `url`."""
    home = Path(tempfile.gettempdir()) / "desk-bench-home"
    return Desk.open(Settings(database_url=url, home=home, policy_dir=SHIPPED, user=None), now=now)


def machine() -> dict[str, Any]:
    """What the figures were measured on, so runs can be compared over time."""
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "platform": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _postgres_version() -> str | None:
    engine = create_engine(ADMIN_URL)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    except OperationalError:
        return None
    finally:
        engine.dispose()


def peak_rss_mb() -> float:
    """This process's own peak resident memory. Not ru_maxrss where /proc has better: on Linux a
    child started by fork+exec inherits its parent's peak there (a loader's hundreds of MB)."""
    return _proc_status_mb("VmHWM") or round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    """Resident memory now (Linux /proc); the peak where /proc is missing."""
    return _proc_status_mb("VmRSS") or peak_rss_mb()


def _proc_status_mb(field: str) -> float | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)  # reported in kB
    return None


class LineProgress:
    """Progress for a log rather than a terminal (CI, redirected stderr): a line per tenth done."""

    def __init__(self) -> None:
        self.tasks: dict[int, list[Any]] = {}  # id -> [description, total, done, tenths said, started]

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def add_task(self, description: str, total: int) -> int:
        self.tasks[len(self.tasks)] = [description, total, 0, 0, time.perf_counter()]
        return len(self.tasks) - 1

    def advance(self, task: int, amount: int = 1) -> None:
        entry = self.tasks[task]
        entry[2] += amount
        tenths = entry[2] * 10 // max(entry[1], 1)
        if tenths > entry[3]:
            entry[3] = tenths
            print(f"{entry[0]}: {entry[2]:,}/{entry[1]:,} ({tenths * 10}%, {time.perf_counter() - entry[4]:.0f} s)",
                  file=sys.stderr, flush=True)


def progress() -> Progress | LineProgress:
    """A progress bar for long set-up phases, on stderr so stdout stays pure JSON."""
    if not stderr.is_terminal:
        return LineProgress()
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=stderr, transient=False)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def emit(name: str, result: dict[str, Any], *, as_json: bool = True) -> Path | None:
    """Prints the result and keeps it in benchmarks/results/<name>-<time>.json (unless it is
    part of a `python -m benchmarks` run, which keeps the merged result only)."""
    text_out = json.dumps(result, indent=2, ensure_ascii=False)
    if as_json or not sys.stdout.isatty():  # `make bench > run.json` gets the JSON, as documented
        print(text_out)
    else:
        stderr.print_json(text_out)
    if os.environ.get(PART_OF_A_RUN):
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text_out + "\n", encoding="utf-8")
    stderr.print(f"[dim]written to {path}[/dim]")
    return path


def fail(message: str) -> None:
    """Ends a benchmark with one clear line, no traceback."""
    stderr.print(f"[red]error:[/red] {message}")
    sys.exit(2)
