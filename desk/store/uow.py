"""The unit of work: one transaction around one use-case; commit or nothing."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from desk.store.prepared import Statements
from desk.store.repository import Complaints, Outbox, Timers


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> UnitOfWork:
        self.connection: Connection = self.engine.connect()
        self.transaction = self.connection.begin()
        statements = Statements(self.connection)
        self.complaints = Complaints(self.connection, statements)
        self.timers = Timers(self.connection, statements)
        self.outbox = Outbox(self.connection, statements)
        return self

    def commit(self) -> None:
        self.transaction.commit()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.transaction.is_active:
            self.transaction.rollback()  # anything not committed explicitly is undone
        self.connection.close()
