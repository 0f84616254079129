"""Ordering rules for the two ladders a policy has: escalation steps and authority by amount.

Each rule returns where in the list the problem is, so the error can point at that line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from policies.durations import Duration, Offset

Problem = tuple[tuple[int | str, ...], str]  # (where inside the list, what is wrong)


def ladder_problem(offsets: Sequence[Offset]) -> Problem | None:
    """Escalation levels must climb: before the deadline, then at it, then after, each further on.
    Percentages and durations cannot be compared without a stage, so only like is compared with like
    here; ladder_problem_on compares them on each deadline the ladder escalates."""
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


def ladder_problem_on(offsets: Sequence[Offset], length: Duration, deadline: str) -> Problem | None:
    """The ladder on one stage deadline of `length` (`deadline` names it): where a percentage and a duration sit on the
    same side of the deadline, their order is now known, and so is whether a step before the
    deadline falls before the stage even starts (it would fire the moment the clock starts).
    Steps whose time cannot be compared with the stage's without a calendar (a working day
    against hours) are left alone: the rule only refuses what is certainly wrong."""
    places = [_place(offset, length) for offset in offsets]
    for j, (later, step) in enumerate(zip(places, offsets, strict=True)):
        if later is None or step.sign == 0:
            continue
        if step.sign < 0 and step.duration is not None and _scale(length)[0] == later[0] \
                and -later[1] >= _scale(length)[1]:
            return (j, "at"), (f"level {j + 1} at '{step}' falls before {deadline} ({length}) even starts: "
                               f"it would fire at once (use a percentage, or give the tier its own ladder)")
        for i in range(j):
            earlier = places[i]
            if earlier is None or offsets[i].sign != step.sign or offsets[i].kind == step.kind:
                continue  # across the deadline, or like with like: ladder_problem judged those
            if earlier[0] == later[0] and later[1] <= earlier[1]:
                return (j, "at"), (f"on {deadline} ({length}) level {j + 1} at '{step}' comes "
                                   f"{'at the same time as' if later[1] == earlier[1] else 'before'} level {i + 1} "
                                   f"at '{offsets[i]}' ({_said(offsets[i], length)}): order the ladder so that it "
                                   f"climbs for every deadline it escalates, or give the tier its own ladder")
    return None


def _scale(length: Duration) -> tuple[str, Fraction]:
    """A duration on a scale it can be compared on: clock minutes, working days, or working
    minutes (a working day is a calendar day's business hours, not a number of minutes)."""
    if not length.working:
        return "clock", Fraction(length.minutes)
    if length.unit == "days":
        return "working days", Fraction(length.amount)
    return "working minutes", Fraction(length.minutes)


def _place(offset: Offset, length: Duration) -> tuple[str, Fraction] | None:
    """Where the step falls relative to the deadline, signed, on the scale of its own kind."""
    if offset.sign == 0:
        return None
    if offset.fraction is not None:
        scale, size = _scale(length)
        size *= offset.fraction
    else:
        assert offset.duration is not None  # an offset off the deadline is a share or a duration
        scale, size = _scale(offset.duration)
    return scale, size * offset.sign


def _said(offset: Offset, length: Duration) -> str:
    if offset.fraction is None:
        return f"{offset} from the deadline"
    scale, size = _scale(length)
    amount = size * offset.fraction
    unit = "working days" if scale == "working days" else "minutes"
    return f"'{offset}' of {length} is {float(amount):g} {unit} {'before' if offset.sign < 0 else 'after'} it"


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
