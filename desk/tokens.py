"""Personal API tokens: issued by a manager for a person or an integration account, shown once,
kept only as a SHA-256 digest, revocable, optionally expiring. A request's token names its actor."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.directory import Directory
from desk.errors import BadInput, NotFound
from desk.store.engine import Engine
from desk.store.uow import UnitOfWork

PREFIX = "desk_"  # recognisable in a leaked log or a secret scanner
MAX_LIFETIME = timedelta(days=3650)
SESSION_LIFETIME = timedelta(hours=12)  # a working day and its overtime; then sign in again
SESSION_LABEL = "console session"


@dataclass(frozen=True)
class Issued:
    id: int
    person: str
    token: str  # the only time it exists outside the caller's hands
    expires_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    person: str
    label: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    def __init__(self, engine: Engine, directory: Directory) -> None:
        self.engine, self.directory = engine, directory

    def create(self, *, actor: str, person: str, now: datetime, lifetime: timedelta | None = None,
               label: str | None = None) -> Issued:
        self._require_manager(actor, "issue API tokens")
        self.directory.require(person)
        if lifetime is not None and not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise BadInput("expires: a token lives between a minute and 10 years")
        token = PREFIX + secrets.token_urlsafe(32)
        expires = now + lifetime if lifetime is not None else None
        with UnitOfWork(self.engine) as uow:
            token_id = uow.tokens.add(person=person, digest=digest(token), label=label, created_by=actor,
                                      created_at=now, expires_at=expires)
            uow.commit()
        return Issued(token_id, person, token, expires)

    def open_session(self, *, person: str, now: datetime, lifetime: timedelta = SESSION_LIFETIME) -> Issued:
        """A console session for someone who proved who they are (a valid token of their own, or
        the demo's sign-in): a token of its own, so signing out ends it everywhere at once."""
        self.directory.require(person)
        token = PREFIX + secrets.token_urlsafe(32)
        with UnitOfWork(self.engine) as uow:
            token_id = uow.tokens.add(person=person, digest=digest(token), label=SESSION_LABEL, created_by=person,
                                      created_at=now, expires_at=now + lifetime)
            uow.commit()
        return Issued(token_id, person, token, now + lifetime)

    def close_session(self, token: str, now: datetime) -> None:
        """Signing out: the session's token is revoked (a personal API token is never touched)."""
        with UnitOfWork(self.engine) as uow:
            uow.tokens.revoke_session(digest(token), SESSION_LABEL, now)
            uow.commit()

    def listed(self, *, actor: str) -> list[TokenInfo]:
        """A manager sees every token; anyone else their own."""
        self.directory.require(actor)
        whose = None if self.directory.may_manage_tokens(actor) else actor
        with UnitOfWork(self.engine, read_only=True) as uow:
            return [TokenInfo(**row) for row in uow.tokens.listed(whose)]

    def revoke(self, *, actor: str, token_id: int, now: datetime) -> None:
        self.directory.require(actor)
        with UnitOfWork(self.engine) as uow:
            found = uow.tokens.get(token_id)
            if found is None:
                raise NotFound(f"no API token #{token_id}")
            if found["person"] != actor:
                self._require_manager(actor, f"revoke {found['person']}'s API token")
            if not uow.tokens.revoke(token_id, now):
                raise BadInput(f"API token #{token_id} was already revoked")
            uow.commit()

    def holder(self, token: str, now: datetime) -> str | None:
        """Who a presented token speaks for; None when unknown, revoked or expired, or when its
        person has left the directory since."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        with UnitOfWork(self.engine, read_only=True) as uow:
            person = uow.tokens.holder(digest(token), now)
        found = self.directory.org.people.get(person or "")
        return person if found is not None and found.active else None

    def _require_manager(self, actor: str, what: str) -> None:
        self.directory.check_holds(actor, "manage_tokens", what)
