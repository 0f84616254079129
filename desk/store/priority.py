"""Urgent first on SQLite: a file lock beside the database that urgent sweeps hold and every
other transaction passes through.

SQLite lets one writer in at a time, and a writer waiting for the lock polls (its busy handler
sleeps up to 100 ms between tries). A sweeper draining a general backlog begins its next batch
a fraction of a millisecond after committing the last, so an urgent sweep waiting for the lock
keeps losing the race: 13.4 s behind a 100,000-timer drain in benchmarks/tiers.py. With the
gate, an urgent batch takes it exclusively before it begins; every other transaction takes it
shared, for an instant, just before BEGIN IMMEDIATE. Once an urgent batch asks, the others
wait for it, and it waits only for the batch in progress. PostgreSQL needs none of this: row
locks and SKIP LOCKED let sweepers of different tiers work side by side. Where there is no
flock (not POSIX), the gate stands open: no priority, nothing else changes.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class PriorityGate:
    def __init__(self, database: str) -> None:
        self.path = f"{database}.priority"
        self._mine = threading.local()  # whether this thread holds the gate
        self._shared: int | None = None  # the descriptor passed through: reopened in a forked child

    def held(self) -> bool:
        return bool(getattr(self._mine, "held", False))

    @contextmanager
    def first(self) -> Iterator[None]:
        """Holds the gate for the block: transactions of other processes and threads that have
        not begun yet wait until it ends."""
        if fcntl is None or self.held():
            yield
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._mine.held = True
            yield
        finally:
            self._mine.held = False
            os.close(fd)  # closing releases the lock, as a crash would

    def pass_through(self) -> None:
        """Waits while someone else holds the gate (called just before a transaction begins)."""
        if fcntl is None or self.held():
            return
        fd = self._shared_fd()
        fcntl.flock(fd, fcntl.LOCK_SH)
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _shared_fd(self) -> int:
        if self._shared is None:
            self._shared = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            _PASSED.add(self)
        return self._shared


# A forked child opens its own descriptor: one shared across fork shares its flock too. Forgotten
# at fork, rather than checked with getpid() on each of the many passes through the gate.
_PASSED: weakref.WeakSet[PriorityGate] = weakref.WeakSet()


def _forget_shared_descriptors() -> None:
    for gate in _PASSED:
        gate._shared = None


os.register_at_fork(after_in_child=_forget_shared_descriptors)
