"""Escalations for how a complaint is handled, not how late: buck-passing (推诿扯皮: more
bounces than the policy allows) and a complainant unsatisfied again (a second unsatisfied
revisit). They come with the verb that shows them, in its transaction, not from a sweep."""

from __future__ import annotations

from dataclasses import dataclass

from policies import Policy
from states import Complaint, DomainEvent, RevisitOutcome


@dataclass(frozen=True)
class Owed:
    """One escalation a verb's event calls for: recorded as an Escalated event and told."""

    stage: str  # what it is about: "bounces" or "unsatisfied"
    level: int  # how many of them, counted
    action: str
    notify: tuple[str, ...]  # roles, as a ladder's notify


def escalations_for(policy: Policy, c: Complaint, event: DomainEvent) -> list[Owed]:
    rule = policy.spec.behaviour
    notify = tuple(rule.notify)
    if event.data.get("bounce") and c.bounces > rule.bounces:
        return [Owed("bounces", c.bounces, "buck_passing", notify)]
    if event.name == "Revisited" and event.data.get("outcome") == RevisitOutcome.UNSATISFIED.value:
        unsatisfied = sum(1 for r in c.revisits if r.outcome is RevisitOutcome.UNSATISFIED)
        if unsatisfied >= rule.unsatisfied_revisits:
            return [Owed("unsatisfied", unsatisfied, "unsatisfied_again", notify)]
    return []
