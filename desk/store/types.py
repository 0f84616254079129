"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back an aware UTC datetime. SQLite keeps no zone of its own,
    so a naive value is refused on the way in rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime ({value.isoformat()}): pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        check = self.process_bind_param

        def to_text(value: datetime | None) -> str | None:
            # The text SQLAlchemy's SQLite dialect writes, made with one C call instead of its formatter:
            # every transition writes and reads several of these. Already in UTC (most are), the
            # checks and conversion of process_bind_param have nothing to do: the offset is cut off.
            if value is None:
                return None
            if value.tzinfo is UTC:
                return value.isoformat(" ", "microseconds")[:26]
            plain = check(value, dialect)
            assert plain is not None
            return plain.isoformat(" ", "microseconds")

        return to_text

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def from_text(value: Any) -> datetime | None:
            if isinstance(value, str) and len(value) == 26:  # what to_text wrote: parse it as UTC in one call
                return datetime.fromisoformat(value + "+00:00")
            return self.process_result_value(value, dialect)

        return from_text

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value  # SQLite may hand back text
        assert isinstance(moment, datetime)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
