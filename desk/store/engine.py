"""Engines for SQLite (the embedded default, WAL) and PostgreSQL, configured for the desk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from desk.config import normalise_url

__all__ = ["Engine", "make_engine"]


# Every transition writes and reads the complaint's record as JSON: orjson does it ~8x faster.
JSON = {"json_serializer": lambda value: orjson.dumps(value).decode(), "json_deserializer": orjson.loads}


SQLITE_PRAGMAS = (
    "journal_mode=WAL",  # readers never wait for the writer
    "foreign_keys=ON",
    "busy_timeout=30000",
    "synchronous=NORMAL",  # safe with WAL; a power cut loses at most the last commit
    "cache_size=-65536",  # 64 MiB of pages per connection: a transition's reads stay out of the kernel
)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(url, parsed.database)
    return create_engine(url, pool_pre_ping=True, **JSON)


def _sqlite(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **JSON)

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
        # Take the write lock at BEGIN: a deferred transaction that reads and then writes
        # fails at once with SQLITE_BUSY when another writer got in between.
        # Straight to the driver: SQLAlchemy's execution path would double the cost of a transaction.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE")

    return engine
