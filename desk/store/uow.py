"""The unit of work: one transaction around one use-case; commit or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from desk.errors import DatabaseUnavailable
from desk.store.access import Tokens, Unmaskings
from desk.store.asks import Asks
from desk.store.engine import READ_ONLY
from desk.store.prepared import Statements
from desk.store.refusals import Refusals
from desk.store.repository import Complaints, Outbox, Timers

# What SQLAlchemy raises when the server is down, restarting or cut the connection.
UNREACHABLE = (OperationalError, InterfaceError)


R = TypeVar("R")


def _made_on_first_use(make: Callable[[UnitOfWork], R]) -> cached_property[R]:
    return cached_property(make)


class UnitOfWork:
    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        """`read_only`: the unit only reads (lists, a complaint's page, a token's holder). On
        SQLite it then takes no write lock, so readers never queue behind writers."""
        self.engine, self.read_only = engine, read_only

    def __enter__(self) -> UnitOfWork:
        try:
            self.connection: Connection = self.engine.connect()
            if self.read_only:
                self.connection = self.connection.execution_options(**{READ_ONLY: True})
            self.transaction = self.connection.begin()
        except UNREACHABLE as error:
            if not _is_unreachable(error):
                raise
            raise unavailable(self.engine, error, begun=False) from error
        return self

    # The repositories are made when first used: a verb uses three of the seven.
    statements = _made_on_first_use(lambda uow: Statements(uow.connection))
    complaints = _made_on_first_use(lambda uow: Complaints(uow.connection, uow.statements))
    timers = _made_on_first_use(lambda uow: Timers(uow.connection, uow.statements))
    outbox = _made_on_first_use(lambda uow: Outbox(uow.connection, uow.statements))
    refusals = _made_on_first_use(lambda uow: Refusals(uow.connection))
    asks = _made_on_first_use(lambda uow: Asks(uow.connection))
    tokens = _made_on_first_use(lambda uow: Tokens(uow.connection))
    unmaskings = _made_on_first_use(lambda uow: Unmaskings(uow.connection))

    def commit(self) -> None:
        self.transaction.commit()  # a lost connection here is translated by __exit__

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        try:
            if self.transaction.is_active:
                self.transaction.rollback()  # anything not committed explicitly is undone
            self.connection.close()
        except UNREACHABLE:
            # The connection is gone: the server rolls an unfinished transaction back itself,
            # and the error that brought us here (if any) is the one worth reporting.
            self.connection.invalidate()
        if error is not None and _is_unreachable(error):
            raise unavailable(self.engine, error) from error


@contextmanager
def reaching(engine: Engine) -> Iterator[None]:
    """For work outside a unit of work (opening the desk, migrations): a lost database is
    reported as DatabaseUnavailable, like inside one."""
    try:
        yield
    except Exception as error:
        if _is_unreachable(error):
            raise unavailable(engine, error, begun=False) from error
        raise


def _is_unreachable(error: BaseException) -> bool:
    """Statements run on the driver's cursor raise the driver's own errors, not SQLAlchemy's."""
    if isinstance(error, DBAPIError):
        error = error.orig or error
    names = {cls.__name__ for cls in type(error).__mro__}
    module = type(error).__module__.split(".")[0]
    if module == "psycopg":
        # psycopg raises OperationalError for the connection classes of SQLSTATE (08, 57P):
        # refused, closed, terminated by an administrator, server shutting down.
        return bool(names & {"OperationalError", "InterfaceError"})
    if module == "sqlite3":
        # sqlite3's OperationalError also means bad SQL; only these mean the file is out of reach.
        return "OperationalError" in names and any(
            text in str(error) for text in ("database is locked", "unable to open", "disk I/O error"))
    return False


def unavailable(engine: Engine, error: BaseException, *, begun: bool = True) -> DatabaseUnavailable:
    """One sentence: which database (never its password), what the driver said, what to do."""
    url = engine.url
    where = f"{url.host}:{url.port or 5432}/{url.database}" if url.host else str(url.database)
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    outcome = "what was in progress was rolled back" if begun else "nothing was done"
    return DatabaseUnavailable(
        f"the {url.get_backend_name()} database at {where} is unavailable "
        f"({detail[0] if detail else type(error).__name__}): {outcome}; run it again once the database is back"
    )
