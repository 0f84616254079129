"""The statements every transition runs, executed on the driver's own cursor.

SQLAlchemy's execution path costs 30-45 µs a statement here, more than SQLite needs for the
write itself, and a transition runs five or six of them. So the hot statements are compiled
once per dialect by SQLAlchemy (same SQL, same casts), their parameter and result types'
processors are looked up once, and each call is a plain `cursor.execute` inside the unit of
work's transaction. Everything else keeps using SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect, with its type conversions worked out."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        names = list(compiled.positiontup or []) if self.positional else list(compiled.binds)
        # (name, processor, whether the caller must give it, value fixed in the statement itself,
        # e.g. the 1 of `attempts + 1` or the None of `last_error=None`)
        self.params: list[tuple[str, Processor, bool, Any]] = []
        for name in names:
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            self.params.append((name, processor, bool(bind.required), bind.value))
        self.names = [name for name, _, _, _ in self.params]
        self.converted = [(i, processor) for i, (_, processor, _, _) in enumerate(self.params) if processor]
        selected: Sequence[ColumnElement[Any]] = list(getattr(statement, "exported_columns", None) or [])
        self.columns = [str(col.key) for col in selected]
        results = [col.type.dialect_impl(dialect).result_processor(dialect, None) for col in selected]
        self.converted_results = [(i, processor) for i, processor in enumerate(results) if processor is not None]

    def arguments(self, values: Mapping[str, Any]) -> Any:
        given = [values[name] if required else values.get(name, fixed) for name, _, required, fixed in self.params]
        for i, processor in self.converted:
            given[i] = processor(given[i])
        return tuple(given) if self.positional else dict(zip(self.names, given, strict=True))

    def values(self, raw: Sequence[Any]) -> list[Any]:
        """A result row's values in column order, converted: what `row` holds, without the names."""
        values = list(raw)
        for i, processor in self.converted_results:
            if values[i] is not None:
                values[i] = processor(values[i])
        return values

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(self.columns, self.values(raw), strict=True))


class Statements:
    """Prepared statements per dialect, built on first use, shared by every unit of work."""

    _cache: ClassVar[dict[tuple[str, str, tuple[str, ...]], Prepared]] = {}
    # Who else wants to see each statement as the driver gets it, and how it went: "one", "many"
    # (executemany) or "together" (a read in a pipeline with the reads next to it). Benchmarks
    # record them to replay; SQLAlchemy's own statements are seen through its events.
    observers: ClassVar[list[Callable[[str, Any, str], None]]] = []

    def __init__(self, connection: Connection) -> None:
        self.dialect = connection.dialect
        self.cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def prepared(self, name: str, build: Callable[[], ClauseElement], column_keys: Iterable[str] = ()) -> Prepared:
        keys = tuple(column_keys)
        key = (self.dialect.name, name, keys)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = Prepared(build(), self.dialect, keys or None)
        return found

    def execute(self, statement: Prepared, values: Mapping[str, Any]) -> Any:
        arguments = statement.arguments(values)
        for observe in self.observers:
            observe(statement.sql, arguments, "one")
        self.cursor.execute(statement.sql, arguments)
        return self.cursor

    def execute_many(self, statement: Prepared, rows: Iterable[Mapping[str, Any]]) -> None:
        arguments = [statement.arguments(values) for values in rows]
        if arguments:
            for observe in self.observers:
                observe(statement.sql, arguments, "many")
            self.cursor.executemany(statement.sql, arguments)

    def fetch_one(self, statement: Prepared, values: Mapping[str, Any]) -> dict[str, Any] | None:
        raw = self.execute(statement, values).fetchone()
        return None if raw is None else statement.row(raw)

    def fetch_all(self, statement: Prepared, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [statement.row(raw) for raw in self.execute(statement, values).fetchall()]

    def fetch_together(self, *queries: tuple[Prepared, Mapping[str, Any]]) -> list[list[list[Any]]]:
        """The rows of several reads, in order, each as its converted values (Prepared.values: a
        verb reads a dozen timer rows, and naming every value costs more than reading it). On
        PostgreSQL they go in one round trip (psycopg's pipeline mode): a round trip costs more
        than the reads. SQLite has no network between us and the data: one after the other."""
        driver = self.cursor.connection
        if not hasattr(driver, "pipeline"):
            return [[statement.values(raw) for raw in self.execute(statement, values).fetchall()]
                    for statement, values in queries]
        cursors = []
        with driver.pipeline():
            for statement, values in queries:
                cursor, arguments = driver.cursor(), statement.arguments(values)
                for observe in self.observers:
                    observe(statement.sql, arguments, "together")
                cursor.execute(statement.sql, arguments)
                cursors.append(cursor)
        return [[statement.values(raw) for raw in cursor.fetchall()]
                for (statement, _), cursor in zip(queries, cursors, strict=True)]

    def rowcount(self) -> int:
        return int(self.cursor.rowcount)
