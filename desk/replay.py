"""One complaint's recorded history played again under a policy: the deadlines it would have
met or missed and the rungs that would have fired.

The events are the real ones (received, classified, dispatched, resolved, fed back, reopened,
closed, at the times they happened); only what a policy decides is worked out again. After each
event that can change a complaint's timers, `desk.timers.wanted` plans them exactly as it does
after a real transition, and rows the complaint no longer needs are finished; between events,
rows whose time has come fire as the sweep fires them (ideally: at their due time, without the
seconds a real sweep lags, under either policy alike, so the two replays compare fairly).
A rung fires only when its time comes before the stage is met, as a finished row never fires.

What this cannot know: events the sweep itself caused (an evidence window closing, callbacks
recorded as unreached) happened when the old policy said; they are replayed as recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from desk.timers import Key, stage_deadlines, wanted
from desk.views import Verdict, verdict
from policies import Policy
from policies.tracking import NEW_ROUND
from states import Complaint, DomainEvent, RevisitAttempt, RevisitOutcome

# Triggers whose data names the tier (dispatch makes a complaint urgent until classified).
TIERED = ("classify", "reclassify", "dispatch")
# Triggers that change the timers a complaint needs without moving it (a callback recorded as
# unreached keeps it fed back but drops that attempt's callback).
REPLANNED = ("classify", "reclassify", "record_revisit")
FIRING = ("escalation", "revisit")  # what a sweep fires that reaches people


@dataclass(frozen=True, slots=True)
class Judged:
    """One stage deadline of one round, as the replayed policy sets it."""

    stage: str
    round: int
    due_at: datetime
    met_at: datetime | None
    verdict: Verdict

    @property
    def breached(self) -> bool:
        return self.verdict in ("missed", "overdue")

    def margin_s(self, now: datetime) -> float | None:
        """Seconds to spare when it was met (negative: how late), or how late it is now; None
        while it is open and not yet due (it has no margin yet)."""
        if self.verdict == "open":
            return None
        return (self.due_at - (self.met_at or now)).total_seconds()


@dataclass(frozen=True, slots=True)
class Rung:
    """A timer that fired and reached people: an escalation step or a revisit callback."""

    kind: str  # escalation or revisit
    stage: str
    level: int
    round: int
    action: str  # reminder, overdue_notice, censure, ... or callback_due
    notify: tuple[str, ...]  # roles, as the policy names them
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Replayed:
    number: str
    tier: str | None
    deadlines: tuple[Judged, ...]
    fired: tuple[Rung, ...]

    def outcome(self) -> tuple[frozenset[tuple[str, int]], frozenset[tuple[str, int, int]]]:
        """What a manager calls the outcome: which deadlines were breached and how far the
        escalation ladder climbed on each. Reminders and callbacks are notices, not outcomes."""
        return (frozenset((d.stage, d.round) for d in self.deadlines if d.breached),
                frozenset((r.stage, r.level, r.round) for r in self.fired if r.kind == "escalation"))


def replay(policy: Policy, number: str, events: Sequence[DomainEvent], now: datetime) -> Replayed:
    """The complaint `number` of the policy's family, whose audit trail is `events` (the receipt
    first), under `policy` up to `now`. Raises KeyError when its type is not in the policy."""
    events = [e for e in events if e.at <= now]
    timers: dict[Key, dict[str, Any]] = {}
    fired: list[Rung] = []
    tier: str | None = None
    round_ = 1
    revisits: list[RevisitAttempt] = []
    complaint: Complaint | None = None
    for i, event in enumerate(events):
        if event.trigger in TIERED and event.data.get("tier"):
            tier = str(event.data["tier"])
        if event.name in NEW_ROUND:
            round_ += 1
        if event.trigger == "record_revisit" and event.data.get("outcome"):
            revisits.append(RevisitAttempt(round=round_, outcome=RevisitOutcome(str(event.data["outcome"])),
                                           note=None, actor=event.actor, at=event.at))
        if i and event.source == event.dest and event.trigger not in REPLANNED:
            continue  # nothing the planner reads has changed
        _sweep(timers, fired, until=event.at, inclusive=False)
        complaint = _as_of(number, policy.family, events[:i + 1], tier, round_, revisits)
        _plan(timers, wanted(policy, complaint, timers), event.at)
    if complaint is None:
        return Replayed(number, None, (), ())
    _sweep(timers, fired, until=now, inclusive=True)
    judged = tuple(Judged(s.stage, s.round, s.due_at, s.met_at, verdict(s.met_at, s.due_at, now))
                   for s in stage_deadlines(policy, complaint, timers.values())
                   if s.deadline.on_expiry is None)  # an expiring evidence window is a step, not a breach
    return Replayed(number, tier, judged, tuple(fired))


def retiered(events: Iterable[DomainEvent], classified_under: Policy, policy: Policy) -> list[DomainEvent]:
    """The events as they would read under `policy`: where a classification took the tier that
    `classified_under` gives its type, it takes the tier `policy` gives it; a tier chosen by a
    person (one the policy did not give) stays. Raises KeyError for a type `policy` lacks."""
    found = []
    for event in events:
        key, tier = event.data.get("type"), event.data.get("tier")
        if event.trigger in ("classify", "reclassify") and key is not None:
            moved = policy.type(str(key)).tier.value
            if tier is not None and str(key) in classified_under.spec.types \
                    and str(tier) == classified_under.type(str(key)).tier.value and str(tier) != moved:
                event = replace(event, data={**event.data, "tier": moved})
        found.append(event)
    return found


def _as_of(number: str, family: str, events: Sequence[DomainEvent], tier: str | None, round_: int,
           revisits: list[RevisitAttempt]) -> Complaint:
    """The complaint as it stood after the last of `events`: what the planner reads of it."""
    received, last = events[0], events[-1]
    c = Complaint(number=number, family=family, first_responder=received.actor,
                  received_at=received.at, channel=str(received.data.get("channel") or "phone"), status=last.dest)
    c.tier, c.round, c.events, c.revisits = tier, round_, list(events), list(revisits)
    return c


def _plan(timers: dict[Key, dict[str, Any]], want: Mapping[Key, Mapping[str, Any]], at: datetime) -> None:
    """Adds the rows the planner wants and finishes pending ones it no longer does."""
    for key, row in want.items():
        if key not in timers:
            timers[key] = {"kind": key[0], "stage": key[1], "level": key[2], "round": key[3], **row,
                           "state": "pending"}
    for key, row in timers.items():
        if row["state"] == "pending" and key not in want:
            row["state"] = "done"


def _sweep(timers: dict[Key, dict[str, Any]], fired: list[Rung], *, until: datetime, inclusive: bool) -> None:
    """Fires pending rows due before `until` (at it too, when `inclusive`: the end of the
    window). An event at the very moment a row falls due comes first: met on time."""
    for key, row in timers.items():
        due = row["due_at"]
        if row["state"] != "pending" or due > until or (due == until and not inclusive):
            continue
        row["state"] = "fired"
        if key[0] in FIRING:
            detail = row.get("detail") or {}
            revisit = key[0] == "revisit"
            fired.append(Rung(key[0], key[1], key[2], key[3],
                              "callback_due" if revisit else str(detail.get("action", "")),
                              (str(detail.get("by", "first_responder")),) if revisit
                              else tuple(detail.get("notify", ())), due))
