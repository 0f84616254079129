"""Who may call, and who has seen what: API tokens (kept as digests) and the record of unmaskings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from desk.store.tables import api_tokens as K
from desk.store.tables import unmaskings as U


class Tokens:
    def __init__(self, connection: Connection) -> None:
        self.db = connection

    def add(self, *, person: str, digest: str, label: str | None, created_by: str, created_at: datetime,
            expires_at: datetime | None) -> int:
        row = self.db.execute(insert(K).returning(K.c.id), {
            "person": person, "digest": digest, "label": label, "created_by": created_by,
            "created_at": created_at, "expires_at": expires_at, "revoked_at": None}).scalar_one()
        return int(row)

    def holder(self, digest: str, now: datetime) -> str | None:
        """The person a token speaks for, if it is neither revoked nor expired at `now`."""
        return self.db.execute(select(K.c.person).where(and_(
            K.c.digest == digest, K.c.revoked_at.is_(None),
            or_(K.c.expires_at.is_(None), K.c.expires_at > now)))).scalar_one_or_none()

    def listed(self, person: str | None = None) -> list[dict[str, Any]]:
        query = select(K.c.id, K.c.person, K.c.label, K.c.created_by, K.c.created_at, K.c.expires_at,
                       K.c.revoked_at).order_by(K.c.id)
        if person is not None:
            query = query.where(K.c.person == person)
        return [dict(row) for row in self.db.execute(query).mappings()]

    def get(self, token_id: int) -> dict[str, Any] | None:
        row = self.db.execute(select(K).where(K.c.id == token_id)).mappings().first()
        return dict(row) if row else None

    def revoke(self, token_id: int, now: datetime) -> bool:
        done = self.db.execute(update(K).where(and_(K.c.id == token_id, K.c.revoked_at.is_(None)))
                               .values(revoked_at=now))
        return bool(done.rowcount)

    def revoke_session(self, digest: str, label: str, now: datetime) -> None:
        """Revokes the token with this digest only if it is a session's (its label says so)."""
        self.db.execute(update(K).where(and_(K.c.digest == digest, K.c.label == label, K.c.revoked_at.is_(None)))
                        .values(revoked_at=now))


class Unmaskings:
    def __init__(self, connection: Connection) -> None:
        self.db = connection

    def add(self, *, complaint_id: int, person: str, at: datetime, via: str) -> None:
        self.db.execute(insert(U), {"complaint_id": complaint_id, "person": person, "at": at, "via": via})

    def of(self, complaint_id: int) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(
            select(U.c.person, U.c.at, U.c.via).where(U.c.complaint_id == complaint_id).order_by(U.c.id)).mappings()]
