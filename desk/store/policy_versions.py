"""Stored policy texts, by family and version: the rules each complaint was classified under."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from desk.store.tables import policy_versions as P


def stored_text(db: Connection, family: str, version: str) -> str | None:
    text: str | None = db.execute(
        select(P.c.text).where((P.c.family == family) & (P.c.version == version))
    ).scalar()
    return text


def store_text(db: Connection, family: str, version: str, text: str, now: datetime) -> str:
    """Stores a version's text unless it is there; returns the text stored under that version."""
    stored = stored_text(db, family, version)
    if stored is None:
        db.execute(insert(P).values(family=family, version=version, text=text, loaded_at=now))
        return text
    return stored


def publish_text(db: Connection, family: str, version: str, text: str, now: datetime, publisher: str) -> bool:
    """Stores a new version published from the workbench; False if the version is taken."""
    if stored_text(db, family, version) is not None:
        return False
    db.execute(insert(P).values(family=family, version=version, text=text, loaded_at=now, published_by=publisher))
    return True


def publications(db: Connection, family: str, limit: int = 20) -> list[dict[str, object]]:
    """The family's stored versions, newest first: when each was first seen and who published it."""
    rows = db.execute(select(P.c.version, P.c.loaded_at, P.c.published_by).where(P.c.family == family)
                      .order_by(P.c.loaded_at.desc(), P.c.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]
