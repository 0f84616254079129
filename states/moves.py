"""The building blocks of a family's machine: moves (transitions) with named guards and effects.

A move is data: trigger, sources, destination, the event name it records, the guards
that must hold and the effect it has on the complaint's record. `machines.py` turns
the moves into a `transitions.Machine`; the same data explains refusals and draws the
diagram, so the three can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from states.complaint import Complaint


class Args:
    """The keyword arguments of one trigger, read defensively (they come from people)."""

    def __init__(self, kwargs: Mapping[str, object]) -> None:
        self._kw = kwargs

    @property
    def actor(self) -> str:
        return str(self._kw["actor"])

    @property
    def at(self) -> datetime:
        at = self._kw["at"]
        assert isinstance(at, datetime)
        return at

    def text(self, name: str) -> str | None:
        """A non-blank string argument, stripped; None when missing or blank."""
        value = self._kw.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
        return None

    def choice(self, name: str, allowed: type[StrEnum]) -> str | None:
        """A string argument that is one of an enum's values; None otherwise."""
        value = self.text(name)
        return value if value in {v.value for v in allowed} else None

    def amount(self, name: str) -> Decimal | None:
        """A non-negative money amount (yuan); None when missing or not a number."""
        value = self._kw.get(name)
        if value is None or isinstance(value, bool):
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        return amount if amount.is_finite() and amount >= 0 else None

    def integer(self, name: str) -> int | None:
        value = self._kw.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def moment(self, name: str) -> datetime | None:
        value = self._kw.get(name)
        if isinstance(value, datetime) and value.utcoffset() is not None:
            return value
        return None

    def items(self, name: str) -> list[str]:
        value = self._kw.get(name)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            return []
        return [str(v).strip() for v in value if str(v).strip()]

    def has(self, name: str) -> bool:
        return self._kw.get(name) is not None

    def raw(self) -> dict[str, object]:
        return {k: v for k, v in self._kw.items() if k not in ("actor", "at")}


Check = Callable[[Complaint, Args], bool]
Effect = Callable[[Complaint, Args], Mapping[str, object] | None]


@dataclass(frozen=True, slots=True)
class Guard:
    """A rule a trigger must satisfy; `reason` is what the person is told when it fails."""

    reason: str
    check: Check

    def holds(self, complaint: Complaint, args: Args) -> bool:
        return self.check(complaint, args)


@dataclass(frozen=True, slots=True)
class Move:
    """One transition. `dest=None` records an event without leaving the state."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    event: str
    guards: tuple[Guard, ...] = ()
    # Selects between several moves of one trigger from one state (e.g. a revisit that
    # reached the complainant vs. one that did not). Not a rule: never reported alone.
    when: Guard | None = None
    effect: Effect | None = None

    def selected(self, complaint: Complaint, args: Args) -> bool:
        return self.when is None or self.when.holds(complaint, args)

    def failing(self, complaint: Complaint, args: Args) -> list[str]:
        return [g.reason for g in self.guards if not g.holds(complaint, args)]
