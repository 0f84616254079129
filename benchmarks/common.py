"""What every benchmark shares: fresh databases, the machine's description, peak memory,
progress bars on stderr and results as JSON (stdout and benchmarks/results/).

PostgreSQL comes from DESK_BENCH_POSTGRES_URL (default: the local server, database `test`);
each run creates a database of its own and drops it afterwards.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import sys
import tempfile
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

RESULTS = Path(__file__).parent / "results"
ADMIN_URL = normalise_url(os.environ.get("DESK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
DATABASES = ("sqlite", "postgresql")
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
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def progress() -> Progress:
    """A progress bar for long set-up phases, on stderr so stdout stays pure JSON."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=stderr, transient=False)


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def emit(name: str, result: dict[str, Any], *, as_json: bool = True) -> Path:
    """Prints the result and keeps it in benchmarks/results/<name>-<time>.json."""
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    text_out = json.dumps(result, indent=2, ensure_ascii=False)
    path.write_text(text_out + "\n", encoding="utf-8")
    if as_json:
        print(text_out)
    else:
        stderr.print_json(text_out)
    stderr.print(f"[dim]written to {path}[/dim]")
    return path


def fail(message: str) -> None:
    """Ends a benchmark with one clear line, no traceback."""
    stderr.print(f"[red]error:[/red] {message}")
    sys.exit(2)
