"""Errors the desk reports to people: one clear sentence each, never a traceback."""

from __future__ import annotations


class DeskError(Exception):
    """Base of every refusal of the application layer."""


class NotFound(DeskError):
    pass


class ConcurrentUpdate(DeskError):
    """Someone else saved the same complaint in between: nothing of ours was written."""


class NotPermitted(DeskError):
    """The actor is unknown, or the policy does not let their role do this."""


class BadInput(DeskError):
    """A value from a person or a file is unusable; the message names the field or row."""


class DatabaseUnavailable(DeskError):
    """The database could not be reached, or dropped the connection: the step in progress was
    rolled back by the database itself, so running it again is safe."""


class KeyTaken(DeskError):
    """Two requests filed under one idempotency key at once; the one that lost files nothing
    and, asked again, finds the other's complaint."""


class KeyReused(DeskError):
    """An idempotency key (or a caller's reference) already filed a different complaint."""
