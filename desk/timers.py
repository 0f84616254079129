"""Deadlines as rows: which timers a complaint's history calls for, and firing the due ones.

`wanted` is what the policy and the complaint's whole history call for now (policies.tracking);
desk.planner diffs it, or the newest event alone, against the stored rows in the transaction
of the transition. A sweep fires due rows in batches, each exactly once (a conditional update
in the transaction that records it), each kind by its entry in FIRING.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from desk.directory import SYSTEM, Directory
from desk.lanes import Kind, lane_tier
from desk.store.repository import Loaded
from policies import Policy
from policies.policy import StageDeadline
from policies.tracking import StageStatus, stage_report
from states import TERMINAL, Complaint, fire

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
        key = (Kind.STAGE_DEADLINE, d.stage, 0, status.round)
        written = key in stored  # its ladder was written with it
        # A deadline moved by ended pauses keeps the ladder it had, moved with it (as stored rungs are).
        rows.update(stage_rows(policy, c.tier, d, status.round, status.started_at, ladder=not written,
                               ladder_on=status.unshifted, moved=partial(status.shifted, policy, basis=d.basis)))
        if written and not d.on_expiry:
            rows.update((k, {}) for k in stored if k[0] == Kind.ESCALATION and (k[1], k[3]) == (d.stage, status.round))
            rows.update(_repeats(policy, c, status.stage, status.round, stored, list(d.met_by)))
    rows.update(derived(policy, c))
    rows.update(callbacks(policy, c))
    return rows


def stage_rows(policy: Policy, tier: str | None, d: StageDeadline, round_: int, started_at: datetime, *,
               ladder: bool = True, ladder_on: StageDeadline | None = None,
               moved: Callable[[datetime], datetime] | None = None) -> dict[Key, dict[str, Any]]:
    """The rows of one stage deadline: the deadline and, unless `ladder` is off, its escalation
    rungs, placed on `ladder_on` (the deadline before pauses moved it) and `moved` as it was. An
    evidence window has no ladder: its expiry is a step of the lifecycle."""
    met_by = list(d.met_by)
    if d.on_expiry:
        return {(Kind.EVIDENCE_DEADLINE, d.stage, 0, round_): {
            "due_at": d.due_at, "met_by": met_by, "detail": {"on_expiry": d.on_expiry}}}
    rows: dict[Key, dict[str, Any]] = {(Kind.STAGE_DEADLINE, d.stage, 0, round_): {
        "due_at": d.due_at, "met_by": met_by, "detail": {"basis": d.basis}}}
    for step in policy.ladder(tier, ladder_on or d, started_at) if ladder else ():
        rows[(Kind.ESCALATION, d.stage, step.level, round_)] = {
            "due_at": moved(step.due_at) if moved else step.due_at, "met_by": met_by,
            "detail": {"action": step.action, "notify": list(step.notify), "offset": step.offset}}
    return rows


def derived(policy: Policy, c: Complaint) -> dict[Key, dict[str, Any]]:
    """The timers a promise, a referral, progress updates and a pause own, as the record calls for
    them now: none once the complaint has left the lifecycle."""
    rows: dict[Key, dict[str, Any]] = {}
    if c.status in TERMINAL:
        return rows
    rows.update(_promised(policy, c))
    rows.update(_referrals(policy, c))
    rows.update(_progress(policy, c))
    paused = c.paused
    if paused is not None and paused.cap_ends is not None:
        # The policy's cap: the clock resumes by itself then (one row per pause of the complaint).
        rows[(Kind.PAUSE_CAP, "pause", len(c.pauses), paused.round)] = {
            "due_at": paused.cap_ends, "met_by": [], "detail": {"reason": paused.reason}}
    return rows


def callbacks(policy: Policy, c: Complaint) -> dict[Key, dict[str, Any]]:
    """The callbacks (回访) a fed-back complaint is owed: the attempts not yet used, and the end of
    the last one's window, after which the complainant counts as unreached (policy: attempts)."""
    if c.status != "fed_back" or c.tier is None:
        return {}
    rows: dict[Key, dict[str, Any]] = {}
    fed_back = next(e.at for e in reversed(c.events) if e.name == "FedBack")
    times = policy.revisit_times(c.tier, fed_back)
    for attempt, due in enumerate(times, start=1):
        if attempt > c.unreachable_attempts():
            rows[(Kind.REVISIT, "revisit", attempt, c.round)] = {
                "due_at": due, "met_by": ["revisited"], "detail": {"by": policy.spec.revisit.by, "attempt": attempt}}
    retry = policy.spec.tiers.of(c.tier).revisit.retry_every
    rows[(Kind.REVISIT_EXPIRY, "revisit", 0, c.round)] = {
        "due_at": policy.calendar.add(times[-1], retry).due, "met_by": ["revisited"],
        "detail": {"attempts": len(times)}}
    return rows


def _repeats(policy: Policy, c: Complaint, stage: str, round_: int, stored: Mapping[Key, Mapping[str, Any]],
             met_by: list[str]) -> dict[Key, dict[str, Any]]:
    """A breached stage's reminder again, every so often until the stage is met (a ladder rung's
    `every`; osTicket #6405): the next one is planned when the one before has fired."""
    steps = list(enumerate(policy.ladder_steps(c.tier), start=1))
    level, step = next(((i, s) for i, s in reversed(steps) if s.every is not None), (0, None))
    rung = stored.get((Kind.ESCALATION, stage, level, round_))
    if step is None or step.every is None or rung is None or rung["fired_at"] is None:
        return {}
    repeats: dict[Key, dict[str, Any]] = {
        k: {} for k in stored if k[0] == Kind.REPEAT and (k[1], k[3]) == (stage, round_)}
    fired = [k[2] for k in repeats if stored[k]["fired_at"] is not None]
    if len(fired) < len(repeats):
        return repeats  # the next one is planned already
    last = max(fired, default=0)
    since = stored[(Kind.REPEAT, stage, last, round_)]["due_at"] if last else rung["due_at"]
    repeats[(Kind.REPEAT, stage, last + 1, round_)] = {
        "due_at": policy.calendar.add(since, step.every).due, "met_by": met_by,
        "detail": {"action": step.action, "notify": list(step.notify), "every": str(step.every)}}
    return repeats


def repeating(policy: Policy, c: Complaint, stored: Mapping[Key, Mapping[str, Any]]) -> dict[Key, dict[str, Any]]:
    """The repeats of every unmet stage whose repeating rung has fired, from the stored rungs and
    repeats: a policy re-applied keeps a running chain where it is (one already planned stays as
    it is), and it ends only if the new ladder repeats no more."""
    rows: dict[Key, dict[str, Any]] = {}
    for status in stage_report(policy, c, held_to(stored.values())):
        if status.met_at is None and not status.deadline.on_expiry:
            rows.update(_repeats(policy, c, status.stage, status.round, stored, list(status.deadline.met_by)))
    return rows


def _promised(policy: Policy, c: Complaint) -> dict[Key, dict[str, Any]]:
    """The time promised to the complainant, until contact or a resolution keeps it: the owner is
    reminded before it, and it escalates when it passes (seeds 000, 003; R15)."""
    made = c.open_promise()
    if made is None:
        return {}
    rows: dict[Key, dict[str, Any]] = {}
    remind = policy.promise_reminder_at(made.promised_for)
    if remind > made.at:
        rows[(Kind.PROMISE_REMINDER, "promise", made.id, made.round)] = {
            "due_at": remind, "met_by": [], "detail": {"action": "promise_reminder",
                                                      "notify": ["handler", "first_responder"]}}
    rows[(Kind.PROMISE_DUE, "promise", made.id, made.round)] = {
        "due_at": made.promised_for, "met_by": [],
        "detail": {"action": "promise_broken", "notify": list(policy.spec.promise.escalate_to)}}
    return rows


def _referrals(policy: Policy, c: Complaint) -> dict[Key, dict[str, Any]]:
    """Each referral to a leader, until answered: its answer is due within referral.answer_within."""
    return {(Kind.REFERRAL_DUE, "referral", r.id, r.round): {
        "due_at": policy.calendar.add(r.at, policy.spec.referral.answer_within).due, "met_by": [],
        "detail": {"action": "referral_unanswered", "notify": [*r.people, *policy.spec.referral.escalate_to]}}
        for r in c.referrals if r.answered_at is None}


HANDLING = ("assigned", "awaiting_evidence", "investigated")  # while a handler works it


def _progress(policy: Policy, c: Complaint) -> dict[Key, dict[str, Any]]:
    """The next word of progress owed to the complainant (tiers.<tier>.progress_every), counted
    from the last one given in this round, or from when the handler took it."""
    every = policy.progress_every(c.tier)
    if every is None or c.status not in HANDLING:
        return {}
    this_round = [e for e in c.events if e.at >= c.round_started_at]
    given = [e.at for e in this_round if e.name == "ProgressReported"]
    since = given[-1] if given else next((e.at for e in this_round if e.dest == "assigned"), c.round_started_at)
    return {(Kind.PROGRESS_DUE, "progress", len(given) + 1, c.round): {
        "due_at": policy.calendar.add(since, every).due, "met_by": ["resolved"],
        "detail": {"action": "progress_missed", "notify": ["handler", "first_responder", "department_head"]}}}


def timer_rows(complaint_id: int, tier: str | None, want: dict[Key, dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows to insert for a complaint of `tier` (None before classification): each in its lane."""
    lane = lane_tier(tier)
    return [{"complaint_id": complaint_id, "kind": k[0], "tier": lane, "stage": k[1], "level": k[2], "round": k[3],
             **row} for k, row in want.items()]


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


Firing = Callable[[Complaint, Any, Directory, datetime], tuple[str, tuple[str, ...]]]


def _escalate(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    """A rung, a repeat, a broken promise, an unanswered referral, a missed update: escalated on the
    record (an Escalated event) and told to the people the row names."""
    detail = timer.detail or {}
    notified = tuple(directory.people_for(detail.get("notify", []), c))
    fire(c, "escalate", actor=SYSTEM, at=now, stage=timer.stage, level=timer.level, action=detail["action"],
         notify=list(notified))
    return str(detail["action"]), notified


def _remind(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    detail = timer.detail or {}
    return str(detail["action"]), tuple(directory.people_for(detail.get("notify", []), c))


def _expire_evidence(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    action = str((timer.detail or {})["on_expiry"])
    fire(c, action, actor=SYSTEM, at=now)
    return action, ()


def _breached(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    return "breached", ()  # the ladder's level at the deadline carries the notice


def _end_pause(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    # Waited as long as the policy allows (pause.cap): the clock runs again, the held deadlines
    # move by the paused time, and whoever handles it is told.
    if c.paused is not None:
        fire(c, "resume", actor=SYSTEM, at=now, note="the policy's pause cap was reached", by_cap=True)
    return "pause_cap_reached", tuple(dict.fromkeys((c.handler, c.first_responder)))


def _callback_due(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    return "callback_due", tuple(directory.people_for([(timer.detail or {}).get("by", "first_responder")], c))


def _unreached(c: Complaint, timer: Any, directory: Directory, now: datetime) -> tuple[str, tuple[str, ...]]:
    # Nobody recorded reaching the complainant by the last attempt: record the attempts the policy
    # allowed as unreached, so the owner can close; tell the owner.
    while c.status == "fed_back" and c.unreachable_attempts() < (c.revisit_attempt_limit or 1):
        fire(c, "record_revisit", actor=SYSTEM, at=now, outcome="unreachable",
             note="no callback recorded by the end of the last attempt")
    return "revisit_unreached", (c.first_responder,)


# How each kind of timer fires: one entry per kind (a test holds the table to desk.lanes.Kind).
FIRING: dict[Kind, Firing] = {
    Kind.STAGE_DEADLINE: _breached,
    Kind.ESCALATION: _escalate,
    Kind.EVIDENCE_DEADLINE: _expire_evidence,
    Kind.PAUSE_CAP: _end_pause,
    Kind.PROMISE_REMINDER: _remind,
    Kind.PROMISE_DUE: _escalate,
    Kind.REFERRAL_DUE: _escalate,
    Kind.PROGRESS_DUE: _escalate,
    Kind.REPEAT: _escalate,
    Kind.REVISIT: _callback_due,
    Kind.REVISIT_EXPIRY: _unreached,
}


# The kinds that escalate when they fire: an Escalated event on the record, and for Prefect one
# complaint.escalated event each (flows.publish), as a ladder's rung.
ESCALATING = frozenset(kind.value for kind, firing in FIRING.items() if firing is _escalate)


def fire_timer(loaded: Loaded, timer: Any, directory: Directory, now: datetime) -> Fired:
    """Applies one due timer to its complaint (in memory; the caller saves and commits)."""
    c = loaded.complaint
    action, notified = FIRING[Kind(timer.kind)](c, timer, directory, now)
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
