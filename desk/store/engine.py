"""Engines for SQLite (the embedded default, WAL) and PostgreSQL, configured for the desk."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, NoSuchModuleError

from desk.config import normalise_url
from desk.errors import BadInput
from desk.store.priority import PriorityGate

__all__ = ["Engine", "first_in_line", "make_engine"]


# Every transition writes and reads the complaint's record as JSON: orjson does it ~8x faster.
# Statement parameters stay out of error messages: they can be a complainant's name or phone,
# and an error's text reaches logs and Prefect.
JSON = {"json_serializer": lambda value: orjson.dumps(value).decode(), "json_deserializer": orjson.loads,
        "hide_parameters": True}


USABLE = "use sqlite:///path/to/desk.db or postgresql://user@host:5432/database"

SQLITE_PRAGMAS = (
    "journal_mode=WAL",  # readers never wait for the writer
    "foreign_keys=ON",
    "busy_timeout=30000",
    "synchronous=NORMAL",  # safe with WAL; a power cut loses at most the last commit
    "cache_size=-65536",  # 64 MiB of pages per connection: a transition's reads stay out of the kernel
)


def make_engine(url: str) -> Engine:
    """An engine for DESK_DATABASE_URL; a URL the desk cannot use is refused in one sentence."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except ArgumentError:
        # Not echoed: a mistyped URL may still hold a password.
        raise BadInput(f"DESK_DATABASE_URL is not a database URL ({USABLE})") from None
    if backend not in ("sqlite", "postgresql"):
        raise BadInput(f"DESK_DATABASE_URL: '{backend}' databases are not supported ({USABLE})")
    if backend == "sqlite":
        return _sqlite(url, parsed.database)
    try:
        # An API worker serves up to 40 requests at once: a pool of 5 would open and close an
        # overflow connection on most requests (measured: ~100 per 1,000 requests).
        engine = create_engine(url, pool_size=20, max_overflow=10, **JSON)
    except (ArgumentError, NoSuchModuleError) as error:
        raise BadInput(f"DESK_DATABASE_URL: {error} ({USABLE})") from None
    _ping_when_idle(engine)
    return engine


# A pooled connection used this recently is taken as alive (HikariCP's aliveBypassWindowMs is
# 500 ms): pinging every checkout cost a round trip a verb, ~5% of a transition on PostgreSQL.
# A connection lost inside the window is met as any lost connection is: that verb reports the
# database unavailable, and SQLAlchemy, seeing the rollback fail for a lost connection, drops
# every pooled one, so the next verb connects afresh (tests/integration/test_database_outage.py).
ALIVE_WITHOUT_PING_S = 0.5


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping, skipped for a connection checked in within the window."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= ALIVE_WITHOUT_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool drops this connection and checks out another (or connects anew).
            raise DisconnectionError(f"a pooled connection was found dead: {error}") from error


_LAST_USED = "desk_last_used"


READ_ONLY = "desk_read_only"  # an execution option: this connection's transactions only read


def _sqlite(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BadInput(f"DESK_DATABASE_URL: cannot make the folder for the SQLite file {database} "
                           f"({error.strerror})") from None
    engine = create_engine(url, connect_args={"timeout": 30}, **JSON)
    gate = _GATES[engine] = PriorityGate(database) if database and database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Straight to the driver: SQLAlchemy's execution path would double the cost of a transaction.
        if connection.get_execution_options().get(READ_ONLY):
            # A reader in WAL mode sees a snapshot and never waits for a writer, nor holds one up.
            connection.connection.driver_connection.execute("BEGIN")
            return
        # A writer takes the write lock at BEGIN: a deferred transaction that reads and then
        # writes fails at once with SQLITE_BUSY when another writer got in between.
        if gate is not None:
            gate.pass_through()  # an urgent sweep's batch asked first: after it
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    return engine


_GATES: weakref.WeakKeyDictionary[Engine, PriorityGate | None] = weakref.WeakKeyDictionary()


@contextmanager
def first_in_line(engine: Engine) -> Iterator[None]:
    """Transactions begun inside the block go before any other that has not begun yet (SQLite:
    see desk.store.priority). PostgreSQL's sweepers do not wait on each other: nothing to do."""
    gate = _GATES.get(engine)
    if gate is None:
        yield
        return
    with gate.first():
        yield
