"""One tier's deadlines and escalation ladder, as timers on the tasks of the BPMN export.

A stage's clock starts when the complaint enters its `from` state, so the stage's timers hang on
that state's task: one for the deadline, one per ladder step. ISO 8601 durations are given only for
plain clock time; working time (business hours, holidays, 调休) is kept in the policy's own words,
because no ISO duration says "13 working days".
"""

from __future__ import annotations

from fractions import Fraction

from policies.durations import Duration, Offset
from policies.policy import Policy
from policies.schema import StageSpec, StepSpec
from states import TERMINAL, Tier
from states.bpmn import BoundaryTimer
from states.families import CLASSIFIED


def boundary_timers(policy: Policy, tier: Tier | str) -> list[BoundaryTimer]:
    """Every timed stage of `tier` (type overrides are named in the documentation), in file order."""
    tier = Tier(tier)
    timers: list[BoundaryTimer] = []
    for stage, spec in policy.spec.stages.items():
        found = policy.duration_for(None, tier, stage)
        if found is None:
            continue
        length, rule = found
        timers.append(_deadline(policy, stage, spec, length, rule))
        steps, whose = _ladder(policy, tier, spec)
        for level, step in enumerate(steps, start=1):
            timers.append(_rung(stage, spec, length, level, step, whose))
    return timers


def _ladder(policy: Policy, tier: Tier, spec: StageSpec) -> tuple[list[StepSpec], str]:
    """The steps the desk escalates this stage with, and whose ladder that is."""
    if spec.on_expiry is not None:  # its expiry is a step of the lifecycle, not an escalation
        return [], ""
    if CLASSIFIED in spec.until:
        # Met by classification, so it runs while no tier is known: only a stage with its own
        # `within` is timed then, on the policy's ladder (as policies/schema.py checks it).
        return (policy.ladder_steps(None), "the policy's ladder") if spec.within is not None else ([], "")
    own = policy.spec.tiers.of(tier).escalation is not None
    return policy.ladder_steps(tier), f"tier {tier}'s own ladder" if own else "the policy's ladder"


def _deadline(policy: Policy, stage: str, spec: StageSpec, length: Duration, rule: str) -> BoundaryTimer:
    lines = [
        f"Stage {stage}: the clock runs from entering {spec.from_} until the complaint enters "
        f"{' or '.join(spec.until)} (or ends: {', '.join(TERMINAL)}), through whatever tasks come between.",
        f"{_source(rule)} sets {length} {_basis(policy, length)}.",
    ]
    lines += [f"Type {key} ({t.name.zh}) sets its own: {t.deadlines[stage]}." for key, t in policy.spec.types.items()
              if stage in t.deadlines]
    if spec.on_expiry is not None:
        lines.append(f"When it passes, the desk fires {spec.on_expiry} instead of escalating.")
    elif CLASSIFIED in spec.until and spec.within is None:
        lines.append("Judged when the complaint is classified (no tier is known before), so never escalated.")
    return BoundaryTimer(spec.from_, f"{stage} due {length}", _iso(length, Offset(0)), "\n".join(lines), str(length))


def _rung(stage: str, spec: StageSpec, length: Duration, level: int, step: StepSpec, whose: str) -> BoundaryTimer:
    when = _when(step.at)
    iso = _iso(length, step.at)
    doc = (f"Escalation level {level} of the {stage} deadline ({length} after entering {spec.from_}), on {whose}: "
           f"{step.action}, notifying {', '.join(step.notify)}, {when}.")
    if iso is None:
        doc += " Counted in the working time of the policy's calendar: not an ISO 8601 duration."
    name = f"{stage} level {level}: {step.action} → {', '.join(step.notify)} {when}"
    return BoundaryTimer(spec.from_, name, iso, doc, str(length) if step.at.sign == 0 else f"{length} {step.at}")


def _source(rule: str) -> str:
    """`Policy.duration_for`'s rule ("tier urgent", "stage triage") as the start of a sentence."""
    kind, _, name = rule.partition(" ")
    return f"The {name} stage's own `within`" if kind == "stage" else f"{kind.capitalize()} {name}"


def _when(offset: Offset) -> str:
    if offset.sign == 0:
        return "at deadline"
    side = "before" if offset.sign < 0 else "after"
    size = f"{float(offset.fraction * 100):g}%" if offset.fraction is not None else str(offset.duration)
    return f"{size} {side} deadline"


def _basis(policy: Policy, length: Duration) -> str:
    if not length.working:
        return "of clock time (24x7)"
    cal = policy.spec.calendar
    return (f"of working time: business hours {cal.business_hours} on {cal.country} working days, "
            "holidays skipped, make-up workdays (调休) counted: no ISO 8601 duration says that")


def _iso(length: Duration, offset: Offset) -> str | None:
    """ISO 8601 for `offset` from a deadline `length` after the start; None where working time is involved.
    Clock days stay days (the desk counts them as calendar days); percentages are exact seconds, as
    the desk shifts them."""
    if length.working or (offset.duration is not None and offset.duration.working):
        return None
    days = length.amount if length.unit == "days" else 0
    seconds = Fraction(0 if days else length.minutes * 60)
    if offset.fraction is not None:
        seconds += offset.sign * round(Fraction(length.minutes * 60) * offset.fraction)
    elif offset.duration is not None and offset.duration.unit == "days":
        days += offset.sign * offset.duration.amount
    elif offset.duration is not None:
        seconds += offset.sign * offset.duration.minutes * 60
    while seconds < 0 and days > 0:  # "7 days, less 2 hours"
        days, seconds = days - 1, seconds + 86400
    return _iso_text(days, max(0, int(seconds)))


def _iso_text(days: int, seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    text = "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"
