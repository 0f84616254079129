"""Rules that tie one part of a policy to another, or to its family's state machine.

Each problem is returned with the key path it concerns, so that the loader can point
at the line. Run only on a file whose shape is valid (schema.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.schema import PolicyFile, StepSpec
from states import allowed_triggers, states_of, triggers_of

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]

POLICY_ACTIONS = ("reapply_policy",)  # things a role may do that are not lifecycle triggers


def check(policy: PolicyFile) -> list[Problem]:
    return [*_stages(policy), *_deadlines(policy), *_ladders(policy), *_authority(policy),
            *_permissions(policy), *_appeal(policy)]


def _stages(policy: PolicyFile) -> Iterator[Problem]:
    states = states_of(policy.family)
    known = ", ".join(states)
    for name, stage in policy.stages.items():
        if stage.from_ not in states:
            yield ("stages", name, "from"), f"'{stage.from_}' is not a state of {policy.family} complaints ({known})"
        for i, state in enumerate(stage.until):
            if state not in states:
                yield ("stages", name, "until", i), f"'{state}' is not a state of {policy.family} complaints ({known})"
        if stage.on_expiry is not None and stage.from_ in states:
            allowed = allowed_triggers(policy.family, stage.from_)
            if stage.on_expiry not in allowed:
                yield (("stages", name, "on_expiry"),
                       f"'{stage.on_expiry}' cannot be fired from '{stage.from_}' (allowed: {', '.join(allowed)})")


def _deadlines(policy: PolicyFile) -> Iterator[Problem]:
    stages = ", ".join(policy.stages)
    for tier in ("urgent", "important", "general"):
        for stage in policy.tiers.of(tier).deadlines:
            if stage not in policy.stages:
                yield ("tiers", tier, "deadlines", stage), f"unknown stage '{stage}' (stages: {stages})"
    for key, spec in policy.types.items():
        for stage in spec.deadlines:
            if stage not in policy.stages:
                yield ("types", key, "deadlines", stage), f"unknown stage '{stage}' (stages: {stages})"


def _ladders(policy: PolicyFile) -> Iterator[Problem]:
    yield from _ladder(("escalation",), policy.escalation)
    for tier in ("urgent", "important", "general"):
        own = policy.tiers.of(tier).escalation
        if own is not None:
            yield from _ladder(("tiers", tier, "escalation"), own)


def _ladder(path: KeyPath, steps: list[StepSpec]) -> Iterator[Problem]:
    """Levels must climb: before the deadline, then at it, then after; each further away."""
    for i in range(1, len(steps)):
        prev, step = steps[i - 1].at, steps[i].at
        later = step.sign > prev.sign or (
            step.sign == prev.sign != 0 and step.kind == prev.kind
            and (step.size() > prev.size() if step.sign > 0 else step.size() < prev.size())
        ) or (step.sign == prev.sign != 0 and step.kind != prev.kind)
        if not later:
            yield (*path, i, "at"), (
                f"level {i + 1} at '{step}' does not come after level {i} at '{prev}': order the ladder by time"
            )


def _authority(policy: PolicyFile) -> Iterator[Problem]:
    last = None
    for i, step in enumerate(policy.authority):
        where = ("authority", i)
        if (step.up_to is None) == (step.above is None):
            yield where, "give exactly one of 'up_to' or 'above'"
            continue
        if step.above is not None and i != len(policy.authority) - 1:
            yield (*where, "above"), "'above' ends the ladder: put it last"
        if step.up_to is not None:
            if last is not None and step.up_to <= last:
                yield (*where, "up_to"), f"limits must rise: {step.up_to} is not above {last}"
            last = step.up_to
        if step.above is not None and last is not None and step.above != last:
            yield (*where, "above"), f"'above: {step.above}' leaves a gap or overlap after 'up_to: {last}'"


def _permissions(policy: PolicyFile) -> Iterator[Problem]:
    triggers = triggers_of(policy.family)
    for action in policy.permissions:
        if action not in triggers and action not in POLICY_ACTIONS:
            yield (("permissions", action),
                   f"'{action}' is not a trigger of {policy.family} complaints nor a policy action "
                   f"({', '.join([*triggers, *POLICY_ACTIONS])})")


def _appeal(policy: PolicyFile) -> Iterator[Problem]:
    if policy.appeal_window is not None and "appeal" not in triggers_of(policy.family):
        yield ("appeal_window",), f"{policy.family} complaints have no appeal (申诉) in their lifecycle"
