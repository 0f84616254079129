"""The database goes away: its connection dropped in the middle of a sweep, or the server not
there at all. The sweep fails with one clear sentence, keeps what it had committed, and the
next sweep fires the rest; nothing fires twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from desk.errors import DatabaseUnavailable
from desk.intake import Intake
from desk.store.prepared import Statements
from desk.store.tables import events
from tests.integration.conftest import ADMIN_URL, open_desk
from tests.integration.test_crashes import FILED, ROOT, _env

pytestmark = pytest.mark.integration

PERSON = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}


def _sweep_interrupted(postgres_url: str, tmp_path: Path, interrupt: Callable[[], None],
                       restore: Callable[[], None] = lambda: None) -> None:
    """Files 100 overdue complaints (300 due timers), sweeps in batches, runs `interrupt` as the
    third batch saves its complaints (its timers marked fired, not yet committed), then
    `restore`, sweeps again and checks that every timer fired exactly once."""
    desk = open_desk(postgres_url, tmp_path)
    desk.file_many([Intake("property", "phone", f"k{i}", FILED, PERSON) for i in range(100)],
                   actor="li-na", now=FILED)
    sweep_at = FILED + timedelta(hours=1)  # a triage deadline and two escalations due, each
    saves = [0]

    def in_the_third_batch(sql: str, *_: Any) -> None:
        if sql.startswith("UPDATE complaints"):
            saves[0] += 1
            if saves[0] == 3:
                interrupt()

    Statements.observers.append(in_the_third_batch)
    try:
        with pytest.raises(DatabaseUnavailable) as lost:
            desk.fire_due_timers(sweep_at, batch=10)
    finally:
        Statements.observers.remove(in_the_third_batch)
        restore()
    message = str(lost.value)
    print(f"\nthe sweep said: {message}")
    database = postgres_url.rsplit("/", 1)[1]
    assert "\n" not in message and "the sweep stopped after firing" in message
    assert f"127.0.0.1:5432/{database} is unavailable" in message and "run it again" in message
    before = int(message.split("after firing ")[1].split(" ")[0])
    assert 0 < before < 300  # batches committed before the outage stayed fired

    rest = desk.fire_due_timers(sweep_at, batch=10)  # the next sweep: a fresh connection from the pool
    with desk.reading() as uow:
        escalated = Counter((row.complaint_id, row.data["stage"], row.data["level"]) for row in
                            uow.connection.execute(select(events.c.complaint_id, events.c.data)
                                                   .where(events.c.name == "Escalated")))
    desk.engine.dispose()
    print(f"fired {before} before the outage and {len(rest)} in the next sweep; "
          f"{sum(n > 1 for n in escalated.values())} escalations twice")
    assert before + len(rest) == 300  # the batch in flight was rolled back and fired again, once
    assert len(escalated) == 200 and set(escalated.values()) == {1}


def test_a_connection_dropped_mid_sweep_fails_clearly_and_the_next_sweep_catches_up(postgres_url: str,
                                                                                      tmp_path: Path) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")

    def drop_the_sweepers_connection() -> None:
        with admin.connect() as db:  # waits (up to 10 s) until the session is gone
            db.execute(text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database})

    try:
        _sweep_interrupted(postgres_url, tmp_path, drop_the_sweepers_connection)
    finally:
        admin.dispose()


CLUSTER = Path("/etc/postgresql")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pg_ctlcluster") is None or not CLUSTER.is_dir() or os.geteuid() != 0,
                    reason="needs the local PostgreSQL cluster and the right to stop it (root)")
def test_postgresql_stopped_and_started_mid_sweep(postgres_url: str, tmp_path: Path) -> None:
    """The server itself goes down (fast shutdown: sessions ended, transactions rolled back)."""
    (version,) = [p.name for p in CLUSTER.iterdir()]

    def cluster(action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *(
            ["-m", "fast"] if action == "stop" else [])], check=True, timeout=120, capture_output=True)
        print(f"\nPostgreSQL {version} {action}ped" if action == "stop" else f"PostgreSQL {version} started")

    _sweep_interrupted(postgres_url, tmp_path, lambda: cluster("stop"), lambda: cluster("start"))


def test_a_sweep_with_the_server_down_says_so_in_one_line(tmp_path: Path) -> None:
    nowhere = "postgresql://postgres@127.0.0.1:1/desk"  # nothing listens on port 1
    swept = subprocess.run([sys.executable, "-m", "desk", "sweep"], cwd=ROOT, env=_env(tmp_path, nowhere),
                           capture_output=True, text=True, timeout=120, check=False)
    print(f"\nserver down; desk sweep said: {swept.stderr.strip()}")
    assert swept.returncode == 1 and "Traceback" not in swept.stderr
    assert "the postgresql database at 127.0.0.1:1/desk is unavailable" in swept.stderr
    assert len(swept.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("url", "said"), [
    ("sqlite:////proc/no-such-folder/desk.db", "cannot make the folder for the SQLite file"),
    ("mysql://desk:secret@db.example/desk", "'mysql' databases are not supported"),
    ("not a url :secret@", "DESK_DATABASE_URL is not a database URL"),
    ("postgresql://nobody:secret@127.0.0.1:5432/test", "unavailable"),
])
def test_a_database_url_the_desk_cannot_use_is_named_without_its_password(url: str, said: str,
                                                                           tmp_path: Path) -> None:
    listed = subprocess.run([sys.executable, "-m", "desk", "list"], cwd=ROOT, env=_env(tmp_path, url),
                            capture_output=True, text=True, timeout=120, check=False)
    print(f"\nDESK_DATABASE_URL={url}: {listed.stderr.strip()}")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr and said in listed.stderr
    assert "secret" not in listed.stderr and len(listed.stderr.strip().splitlines()) == 1


def test_pooled_connections_lost_while_idle_are_replaced_before_a_verb_uses_them(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server dropped the desk's pooled connections (a restart, a failover, an idle timeout
    in a proxy) while nobody worked: the next verb checks the connection it takes, finds it dead
    and connects afresh. Within ALIVE_WITHOUT_PING_S of its last use a connection is not checked:
    a loss in that instant fails one verb, and the next one connects afresh."""
    from desk.store import engine as engines

    database = postgres_url.rsplit("/", 1)[1]
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")

    def drop_the_desks_connections() -> int:
        with admin.connect() as db:
            return len(db.execute(text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                                       "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).all())

    desk = open_desk(postgres_url, tmp_path)
    try:
        number = desk.file(actor="li-na", now=FILED, family="property", complainant=PERSON).number
        assert drop_the_desks_connections() >= 1
        monkeypatch.setattr(engines, "ALIVE_WITHOUT_PING_S", -1.0)  # idle long enough to be checked
        classified = desk.classify(number, actor="li-na", now=FILED + timedelta(minutes=5), type="cleaning_late")
        assert classified.status == "classified"

        monkeypatch.setattr(engines, "ALIVE_WITHOUT_PING_S", 3600.0)  # used just now: taken on trust
        assert drop_the_desks_connections() >= 1
        with pytest.raises(DatabaseUnavailable, match="run it again"):
            desk.assign(number, actor="li-na", now=FILED + timedelta(minutes=10), handler="zhang-li")
        assigned = desk.assign(number, actor="li-na", now=FILED + timedelta(minutes=11), handler="zhang-li")
        assert assigned.status == "assigned" and assigned.version == classified.version + 1
    finally:
        desk.engine.dispose()
        admin.dispose()
