"""Deadlines as rows: which timers a complaint should have now, and firing the due ones.

After every transition the complaint's stored timers are reconciled with what its policy
and history call for (policies.tracking): missing rows are written, rows of stages that
were met are finished, in the same transaction as the transition. A sweep fires due rows
in batches, each exactly once (a conditional update in the transaction that records it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desk.directory import SYSTEM, Directory
from desk.lanes import lane_tier
from desk.store.repository import Loaded
from desk.store.uow import UnitOfWork
from policies import Policy
from policies.tracking import StageStatus, stage_report
from states import Complaint, fire

Key = tuple[str, str, int, int]  # kind, stage, level, round
COMPLAINANT = "complainant"  # outbox recipient meaning: the complaint's own complainant
DEADLINE_KINDS = ("stage_deadline", "evidence_deadline")  # the rows that hold a stage's due time


def held_to(stored: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], datetime]:
    """The due time each stage deadline was written with, by (stage, round), from timer rows."""
    return {(t["stage"], t["round"]): t["due_at"] for t in stored if t["kind"] in DEADLINE_KINDS}


def stage_deadlines(policy: Policy, c: Complaint, stored: Iterable[Mapping[str, Any]]) -> list[StageStatus]:
    """The complaint's stage deadlines as it was held to them: due times from its stored rows,
    computed only where none was stored. A stage met before a manager re-applied a new policy
    version is judged by the deadline it had then, not by one the new version would compute."""
    return stage_report(policy, c, held_to(stored))


def wanted(policy: Policy, c: Complaint, stored: Mapping[Key, Mapping[str, Any]] | None = None
           ) -> dict[Key, dict[str, Any]]:
    """Every timer the complaint should have pending now. Given its `stored` timers, deadlines
    and ladders already written are taken from them instead of being computed again."""
    stored = stored or {}
    known = held_to(stored.values())
    rows: dict[Key, dict[str, Any]] = {}
    for status in stage_report(policy, c, known):
        if status.met_at is not None:
            continue
        d = status.deadline
        met_by = list(d.met_by)
        if d.on_expiry:
            rows[("evidence_deadline", d.stage, 0, status.round)] = {
                "due_at": d.due_at, "met_by": met_by, "detail": {"on_expiry": d.on_expiry}}
            continue
        key = ("stage_deadline", d.stage, 0, status.round)
        rows[key] = {"due_at": d.due_at, "met_by": met_by, "detail": {"basis": d.basis}}
        if key in stored:  # its ladder was written with it
            rows.update((k, {}) for k in stored if k[0] == "escalation" and (k[1], k[3]) == (d.stage, status.round))
            continue
        for step in policy.ladder(c.tier, d, status.started_at):
            rows[("escalation", d.stage, step.level, status.round)] = {
                "due_at": step.due_at, "met_by": met_by,
                "detail": {"action": step.action, "notify": list(step.notify), "offset": step.offset}}
    if c.status == "fed_back" and c.tier is not None:
        fed_back = next(e.at for e in reversed(c.events) if e.name == "FedBack")
        times = policy.revisit_times(c.tier, fed_back)
        for attempt, due in enumerate(times, start=1):
            if attempt > c.unreachable_attempts():
                rows[("revisit", "revisit", attempt, c.round)] = {
                    "due_at": due, "met_by": ["revisited"],
                    "detail": {"by": policy.spec.revisit.by, "attempt": attempt}}
        # After the last attempt's window, the complainant counts as unreached (policy: attempts).
        retry = policy.spec.tiers.of(c.tier).revisit.retry_every
        rows[("revisit_expiry", "revisit", 0, c.round)] = {
            "due_at": policy.calendar.add(times[-1], retry).due, "met_by": ["revisited"],
            "detail": {"attempts": len(times)}}
    return rows


def timer_rows(complaint_id: int, tier: str | None, want: dict[Key, dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows to insert for a complaint of `tier` (None before classification): each in its lane."""
    lane = lane_tier(tier)
    return [{"complaint_id": complaint_id, "kind": k[0], "tier": lane, "stage": k[1], "level": k[2], "round": k[3],
             **row} for k, row in want.items()]


@dataclass
class TimerChanges:
    """Rows to write, rows to finish and rows to move to another tier's lane, gathered so that a
    batch writes them in one go."""

    added: list[dict[str, Any]]
    finished: list[int]
    moved: list[tuple[int, str]] = field(default_factory=list)

    def plan(self, loaded: Loaded, policy: Policy, stored_rows: list[dict[str, Any]]) -> None:
        """Adds what the complaint's timers need now, given its stored ones (Timers.keys_of)."""
        stored = {(t["kind"], t["stage"], t["level"], t["round"]): t for t in stored_rows}
        c = loaded.complaint
        want = wanted(policy, c, stored)
        self.added += timer_rows(loaded.id, c.tier, {k: row for k, row in want.items() if k not in stored})
        self.finished += [t["id"] for k, t in stored.items() if t["done_at"] is None and k not in want]
        # Classified (or reclassified) into another tier: its open timers follow it to that lane.
        lane = lane_tier(c.tier)
        self.moved += [(t["id"], lane) for k, t in stored.items()
                       if t["done_at"] is None and k in want and t["tier"] != lane]

    def write(self, uow: UnitOfWork, now: datetime) -> None:
        uow.timers.add(self.added)
        uow.timers.finish(self.finished, now)
        uow.timers.move_to_lane(self.moved)


def reconcile(uow: UnitOfWork, loaded: Loaded, policy: Policy, now: datetime) -> None:
    """Writes the timers the complaint now needs and finishes those it no longer does."""
    changes = TimerChanges([], [])
    changes.plan(loaded, policy, uow.timers.keys_of(loaded.id))
    changes.write(uow, now)


@dataclass(frozen=True)
class Rescheduled:
    """One pending timer changed by re-applying a policy: `before` None means added, `after`
    None means no longer needed."""

    kind: str
    stage: str
    level: int
    round: int
    before: datetime | None
    after: datetime | None


def reschedule(uow: UnitOfWork, loaded: Loaded, policy: Policy, now: datetime) -> list[Rescheduled]:
    """Recomputes every pending timer under `policy` from the complaint's history, ignoring the
    due times stored under its old version. Timers that already fired stay fired: an escalation
    that happened is history, whatever the new ladder says."""
    stored = {(t.kind, t.stage, t.level, t.round): t for t in uow.timers.of(loaded.id)}
    tier = loaded.complaint.tier
    want = wanted(policy, loaded.complaint)
    changes: list[Rescheduled] = []
    moved: list[dict[str, Any]] = []
    finished: list[int] = []
    for key, row in want.items():
        timer = stored.get(key)
        if timer is None:
            changes.append(Rescheduled(*key, None, row["due_at"]))
        elif timer.fired_at is None and timer.done_at is None and timer.due_at != row["due_at"]:
            changes.append(Rescheduled(*key, timer.due_at, row["due_at"]))
            moved.append({"tid": timer.id, **row})
    for key, timer in stored.items():
        if timer.fired_at is None and timer.done_at is None and key not in want:
            changes.append(Rescheduled(*key, timer.due_at, None))
            finished.append(timer.id)
    uow.timers.add(timer_rows(loaded.id, tier, {k: want[k] for k in want if k not in stored}))
    uow.timers.reschedule(moved)
    uow.timers.finish(finished, now)
    return sorted(changes, key=lambda r: (r.round, r.after or r.before or now, r.kind, r.level))


@dataclass(frozen=True)
class Fired:
    """One timer fired by a sweep: what operations see (complaint numbers, never people's data)."""

    number: str
    family: str
    tier: str | None
    type: str | None
    kind: str
    stage: str
    level: int
    action: str
    notified: tuple[str, ...]
    due_at: datetime
    late_by: timedelta


def fire_timer(loaded: Loaded, timer: Any, directory: Directory, now: datetime) -> Fired:
    """Applies one due timer to its complaint (in memory; the caller saves and commits)."""
    c = loaded.complaint
    detail = timer.detail or {}
    action: str = timer.kind
    notified: tuple[str, ...] = ()
    if timer.kind == "escalation":
        action = detail["action"]
        notified = tuple(directory.people_for(detail.get("notify", []), c))
        fire(c, "escalate", actor=SYSTEM, at=now, stage=timer.stage, level=timer.level, action=action,
             notify=list(notified))
    elif timer.kind == "evidence_deadline":
        action = detail["on_expiry"]
        fire(c, action, actor=SYSTEM, at=now)
    elif timer.kind == "stage_deadline":
        action = "breached"  # the ladder's level at the deadline carries the notice
    elif timer.kind == "revisit":
        action = "callback_due"
        notified = tuple(directory.people_for([detail.get("by", "first_responder")], c))
    elif timer.kind == "revisit_expiry":
        # Nobody recorded reaching the complainant by the last attempt: record the attempts
        # the policy allowed as unreached, so the owner can close; tell the owner.
        action = "revisit_unreached"
        while c.status == "fed_back" and c.unreachable_attempts() < (c.revisit_attempt_limit or 1):
            fire(c, "record_revisit", actor=SYSTEM, at=now, outcome="unreachable",
                 note="no callback recorded by the end of the last attempt")
        notified = (c.first_responder,)
    return Fired(c.number, c.family.value, c.tier, c.type, timer.kind, timer.stage, timer.level, action,
                 notified, timer.due_at, now - timer.due_at)


def notifications(complaint_id: int, fired: Fired, now: datetime, send_at: datetime | None = None,
                  ) -> list[dict[str, Any]]:
    """Outbox rows for the people a fired timer must reach (numbers and ids only), to be sent from
    `send_at` (quiet hours: the policy's `notices_in`), at once by default."""
    payload = {"tier": fired.tier, "type": fired.type, "stage": fired.stage, "level": fired.level,
               "action": fired.action, "due_at": fired.due_at.isoformat(),
               "late_by_s": int(fired.late_by.total_seconds())}
    kind = "callback_due" if fired.kind == "revisit" else fired.kind

    def row(recipient: str, kind: str) -> dict[str, Any]:
        return {"complaint_id": complaint_id, "number": fired.number, "recipient": recipient, "kind": kind,
                "tier": lane_tier(fired.tier), "payload": payload, "created_at": now,
                "next_attempt_at": send_at or now,
                "attempts": 0}

    rows = [row(person, kind) for person in fired.notified]
    if fired.kind == "revisit" and fired.level == 1:
        # The complainant is asked too (回访 by SMS or e-mail); their contact is looked up only
        # when the notification is delivered, so it is never copied out of the complainants table.
        rows.append(row(COMPLAINANT, "satisfaction_request"))
    return rows
