"""Domain errors: each names the complaint, its state and what would have been allowed."""

from __future__ import annotations

from collections.abc import Sequence


class ComplaintError(Exception):
    """Base of every refusal the lifecycle gives. Messages are for the person who asked."""


class TriggerNotAllowed(ComplaintError):
    """The trigger does not exist in this state (or in this family at all)."""

    def __init__(self, number: str, state: str, trigger: str, allowed: Sequence[str]) -> None:
        self.number, self.state, self.trigger = number, state, trigger
        self.allowed = tuple(allowed)
        choices = ", ".join(self.allowed) if self.allowed else "none (the complaint is finished)"
        super().__init__(
            f"{number} is '{state}': '{trigger}' is not allowed there; allowed: {choices}"
        )


class GuardRefused(ComplaintError):
    """The trigger exists here, but a rule of the desk says no."""

    def __init__(self, number: str, state: str, trigger: str, reasons: Sequence[str]) -> None:
        self.number, self.state, self.trigger = number, state, trigger
        self.reasons = tuple(reasons)
        super().__init__(f"{number} is '{state}': '{trigger}' refused: " + "; ".join(self.reasons))


class FirstResponsibilityViolation(ComplaintError):
    """首诉负责制: the first responder is set at receipt and never changes."""


class DirectStateWrite(ComplaintError):
    """A status may only change through a trigger, so that every change leaves an event."""
