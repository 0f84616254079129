"""Ordering rules for the two ladders a policy has: escalation steps and authority by amount.

Each rule returns where in the list the problem is, so the error can point at that line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from policies.durations import Offset

Problem = tuple[tuple[int | str, ...], str]  # (where inside the list, what is wrong)


def ladder_problem(offsets: Sequence[Offset]) -> Problem | None:
    """Escalation levels must climb: before the deadline, then at it, then after, each further on.
    Percentages and durations cannot be compared without a stage, so only like is compared with like."""
    for i in range(1, len(offsets)):
        prev, step = offsets[i - 1], offsets[i]
        if step.sign != prev.sign:
            later = step.sign > prev.sign
        elif step.sign == 0:
            later = False  # two steps at the deadline: merge their notify lists
        elif step.kind != prev.kind:
            later = True
        else:
            later = step.size() > prev.size() if step.sign > 0 else step.size() < prev.size()
        if not later:
            message = f"level {i + 1} at '{step}' does not come after level {i} at '{prev}': order the ladder by time"
            return (i, "at"), message
    return None


def authority_problem(rungs: Sequence[tuple[Decimal | None, Decimal | None]]) -> Problem | None:
    """Each rung is (up_to, above): limits rise, and an `above` rung closes the ladder without a gap."""
    last: Decimal | None = None
    for i, (up_to, above) in enumerate(rungs):
        if (up_to is None) == (above is None):
            return (i,), "give exactly one of 'up_to' or 'above'"
        if above is not None:
            if i != len(rungs) - 1:
                return (i, "above"), "'above' ends the ladder: put it last"
            if last is not None and above != last:
                return (i, "above"), f"'above: {above}' leaves a gap or overlap after 'up_to: {last}'"
        elif up_to is not None:
            if last is not None and up_to <= last:
                return (i, "up_to"), f"limits must rise: {up_to} is not above {last}"
            last = up_to
    return None
