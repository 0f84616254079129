"""The timer planner: what a complaint's newest event does to its stored timers, as a diff.

Pure: no database and no clock (the event carries its moment); the repository applies the diff
in the transaction that recorded the event (Timers.apply). It works from the event where it
can, without replaying the complaint's history:

- a move into a state finishes the timers that state meets (their `met_by`, or every one when
  the complaint leaves the lifecycle) and starts the stages that count from it (policy stages'
  `from`), with their ladders; entering `fed_back` starts the callbacks (回访), and a callback
  that did not reach the complainant ends its attempt's timer;
- the first classification times the stages that started before it, from when they started;
- a pause holds its stages' timers, a resume moves them by the paused time;
- a promise, a referral, a word of progress changes only the timers they own.

Where the event changes what every deadline is measured against (a new round, a change of type
or tier, a granted extension) or comes from a sweep,
it reconciles with what a replay of the history calls for (desk.timers.wanted). A property
test (tests/integration/test_pause_properties.py) holds both ways to a replay from scratch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from desk.lanes import Kind, lane_tier
from desk.timers import Key, callbacks, derived, repeating, stage_rows, wanted
from policies import Policy
from states import TERMINAL, Complaint, DomainEvent

HELD_KINDS = (Kind.STAGE_DEADLINE, Kind.ESCALATION, Kind.EVIDENCE_DEADLINE)  # what a pause holds of a stage
DERIVED_KINDS = (Kind.PROMISE_REMINDER, Kind.PROMISE_DUE, Kind.REFERRAL_DUE, Kind.PROGRESS_DUE, Kind.PAUSE_CAP)
KINDS = {kind.value: kind for kind in Kind}  # a dict lookup: Kind(value) costs a microsecond a stored timer
# Triggers after which every deadline is worked out again from the history.
REPLAYED = frozenset({"reclassify", "dispatch", "reapply_policy", "reopen", "appeal", "approve_extension"})


class Timer(NamedTuple):
    """A stored timer, as the planner reads it (Timers.keys_of). A named tuple, not a frozen
    dataclass: a verb reads a dozen, and a frozen dataclass's __init__ costs ~1 µs each."""

    id: int
    kind: Kind
    stage: str
    level: int
    round: int
    tier: str
    due_at: datetime
    met_by: tuple[str, ...] = ()
    fired_at: datetime | None = None
    done_at: datetime | None = None
    held_since: datetime | None = None

    @property
    def key(self) -> Key:
        return (self.kind, self.stage, self.level, self.round)

    @property
    def pending(self) -> bool:
        return self.fired_at is None and self.done_at is None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Timer:
        return cls(row["id"], KINDS[row["kind"]], row["stage"], row["level"], row["round"], row["tier"], row["due_at"],
                   tuple(row.get("met_by") or ()), row.get("fired_at"), row.get("done_at"), row.get("held_since"))

    @classmethod
    def of_values(cls, v: Sequence[Any]) -> Timer:
        """From a timer's values in repository.TIMER_FIELDS order (id, kind, stage, level, round,
        tier, due_at, done_at, fired_at, held_since, met_by), as Complaints.get_with_timers reads them."""
        return cls(v[0], KINDS[v[1]], v[2], v[3], v[4], v[5], v[6], tuple(v[10] or ()), v[8], v[7], v[9])


@dataclass(frozen=True, slots=True)
class Planned:
    """A timer to write."""

    kind: Kind
    stage: str
    level: int
    round: int
    due_at: datetime
    met_by: tuple[str, ...]
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Moved:
    """A stored timer changed: a new due time (re-planned: with its met_by and detail), another
    tier's lane, held by a pause from `held_since`, or `released` from a pause to `due_at`."""

    timer_id: int
    due_at: datetime | None = None
    tier: str | None = None
    held_since: datetime | None = None
    released: bool = False
    met_by: tuple[str, ...] | None = None
    detail: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TimerDiff:
    add: tuple[Planned, ...] = ()
    move: tuple[Moved, ...] = ()
    finish: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.add or self.move or self.finish)


@dataclass
class _Diff:
    add: list[Planned] = field(default_factory=list)
    move: list[Moved] = field(default_factory=list)
    finish: list[int] = field(default_factory=list)

    def planned(self, rows: Mapping[Key, Mapping[str, Any]]) -> None:
        self.add += [Planned(KINDS[k[0]], k[1], k[2], k[3], row["due_at"], tuple(row["met_by"]), row["detail"])
                     for k, row in rows.items()]

    def frozen(self) -> TimerDiff:
        return TimerDiff(tuple(self.add), tuple(self.move), tuple(self.finish))


def plan(policy: Policy, c: Complaint, stored: Sequence[Timer], event: DomainEvent | None) -> TimerDiff:
    """What `event` (the complaint's newest, already applied to `c`) does to its `stored` timers.
    No event (a sweep fired timers): reconcile with what the history calls for."""
    first_classification = event is not None and event.trigger == "classify" and \
        sum(1 for e in c.events if e.trigger == "classify") == 1
    if event is None or event.trigger in REPLAYED or any(e.status == "granted" for e in c.extensions) \
            or (event.trigger == "classify" and not first_classification):
        return reconcile(policy, c, stored)
    diff = _Diff()
    if first_classification:
        _classified(policy, c, stored, event, diff)
    if event.dest != event.source:
        _moved_into(policy, c, stored, event, diff)
    else:
        _pauses(policy, c, stored, diff)
        _callbacks(policy, c, stored, diff)
    _derived(policy, c, stored, diff)
    return diff.frozen()


def _classified(policy: Policy, c: Complaint, stored: Sequence[Timer], event: DomainEvent, diff: _Diff) -> None:
    """Type and tier are known: the stages whose clock started before, at the first entry into
    their `from` state, are timed now from that moment, unless met since (policies.tracking); the
    open timers move to the tier's lane."""
    entered = [(e.dest, e.at) for e in c.events if e.source != e.dest]
    keys = {t.key for t in stored}
    for stage, spec in policy.spec.stages.items():
        began = next((when for state, when in entered[:-1] if state == spec.from_), None)
        if began is None or (Kind.STAGE_DEADLINE, stage, 0, c.round) in keys \
                or (Kind.EVIDENCE_DEADLINE, stage, 0, c.round) in keys:
            continue
        if any(when >= began and (state in spec.until or state in TERMINAL) for state, when in entered):
            continue  # met already (a dispatch before classification, an acknowledgement by it)
        diff.planned(_stage_timers(policy, c, stage, began))
    lane = lane_tier(c.tier)
    diff.move += [Moved(t.id, tier=lane) for t in stored if t.done_at is None and t.tier != lane]


def _moved_into(policy: Policy, c: Complaint, stored: Sequence[Timer], event: DomainEvent, diff: _Diff) -> None:
    """The complaint entered `event.dest`: the timers it meets end, the stages counted from it start."""
    dest, ended = event.dest, event.dest in TERMINAL
    diff.finish += [t.id for t in stored if t.done_at is None and t.kind not in DERIVED_KINDS
                    and (ended or dest in t.met_by)]
    if ended:
        return
    keys = {t.key for t in stored}
    for stage, spec in policy.spec.stages.items():
        if spec.from_ == dest and (Kind.STAGE_DEADLINE, stage, 0, c.round) not in keys \
                and (Kind.EVIDENCE_DEADLINE, stage, 0, c.round) not in keys:
            diff.planned(_stage_timers(policy, c, stage, event.at))
    diff.planned({k: row for k, row in callbacks(policy, c).items() if k not in keys})


def _stage_timers(policy: Policy, c: Complaint, stage: str, started_at: datetime) -> dict[Key, dict[str, Any]]:
    """A stage's deadline from `started_at` with its ladder; nothing when the policy does not time it here."""
    deadline = policy.deadline(c.type, c.tier, stage, started_at)
    return {} if deadline is None else stage_rows(policy, c.tier, deadline, c.round, started_at)


def _callbacks(policy: Policy, c: Complaint, stored: Sequence[Timer], diff: _Diff) -> None:
    """A callback recorded without reaching the complainant uses up its attempt: its timer ends."""
    want = callbacks(policy, c)
    keys = {t.key for t in stored}
    diff.planned({k: row for k, row in want.items() if k not in keys})
    diff.finish += [t.id for t in stored if t.kind in (Kind.REVISIT, Kind.REVISIT_EXPIRY) and t.done_at is None
                    and t.key not in want]


def _derived(policy: Policy, c: Complaint, stored: Sequence[Timer], diff: _Diff) -> None:
    """The timers a promise, a referral, progress updates and a pause own: written when the record
    calls for them, finished when it no longer does."""
    want = derived(policy, c)
    keys = {t.key for t in stored}
    diff.planned({k: row for k, row in want.items() if k not in keys})
    diff.finish += [t.id for t in stored if t.kind in DERIVED_KINDS and t.done_at is None and t.key not in want]


def _pauses(policy: Policy, c: Complaint, stored: Iterable[Timer], diff: _Diff) -> dict[int, datetime]:
    """What the complaint's pauses do to its pending timers: each one an open pause holds is held
    from its start; each held one whose pause has ended moves by the paused time as its deadline
    counts (policy.resumed_due). From the record, not the event: right after any transition.
    Returns the released timers' new due times."""
    open_pause = c.paused
    pauses = {p.at: p for p in c.pauses}
    released: dict[int, datetime] = {}
    for t in stored:
        if t.kind not in HELD_KINDS or not t.pending:
            continue
        if t.held_since is None:
            if open_pause is not None and t.stage in open_pause.stages and t.round == open_pause.round:
                diff.move.append(Moved(t.id, held_since=open_pause.at))
            continue
        ended = pauses.get(t.held_since)
        if ended is not None and ended.resumed_at is not None:
            found = policy.duration_for(c.type, c.tier, t.stage)
            basis = found[0].basis if found else "clock"
            released[t.id] = policy.resumed_due(t.due_at, basis, ended.at, ended.resumed_at)
            diff.move.append(Moved(t.id, due_at=released[t.id], released=True))
    return released


def reconcile(policy: Policy, c: Complaint, stored: Sequence[Timer]) -> TimerDiff:
    """Every timer the history calls for (desk.timers.wanted) against the stored ones: missing
    ones written, ones no longer called for finished, the open ones moved to the complaint's lane,
    held and released by its pauses, and those of a stage granted an extension moved to it."""
    diff = _Diff()
    released = _pauses(policy, c, stored, diff)
    rows = _rows(stored, released)
    diff.move += _extended(policy, c, rows)
    want = wanted(policy, c, rows)
    diff.planned({k: row for k, row in want.items() if k not in rows})
    diff.finish += [t.id for t in stored if t.done_at is None and t.key not in want]
    # Classified (or reclassified) into another tier: its open timers follow it to that lane.
    lane = lane_tier(c.tier)
    diff.move += [Moved(t.id, tier=lane) for t in stored if t.done_at is None and t.key in want and t.tier != lane]
    return diff.frozen()


def _rows(stored: Sequence[Timer], released: Mapping[int, datetime] | None = None) -> dict[Key, dict[str, Any]]:
    """The stored timers as desk.timers.wanted reads them, those `released` from a pause at their new time."""
    released = released or {}
    return {t.key: {"id": t.id, "kind": t.kind, "stage": t.stage, "level": t.level, "round": t.round,
                    "due_at": released.get(t.id, t.due_at), "fired_at": t.fired_at, "done_at": t.done_at,
                    "held_since": None if t.id in released else t.held_since}
            for t in stored}


def _extended(policy: Policy, c: Complaint, stored: Mapping[Key, Mapping[str, Any]]) -> list[Moved]:
    """New due times for the pending timers of stages granted an extension (延期): the deadline at
    the new due time, its ladder placed on it; each only where the stored one differs, so a second
    look changes nothing. Timers that fired stay as they fired."""
    extended = {(e.stage, e.round) for e in c.extensions if e.status == "granted"}
    if not extended:
        return []
    moves = []
    for key, row in wanted(policy, c).items():
        t = stored.get(key)
        if ((key[1], key[3]) in extended and t is not None and t["fired_at"] is None and t["done_at"] is None
                and t["held_since"] is None and t["due_at"] != row["due_at"]):
            moves.append(Moved(t["id"], due_at=row["due_at"], met_by=tuple(row["met_by"]), detail=row["detail"]))
    return moves


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


def replan(policy: Policy, c: Complaint, stored: Sequence[Timer], now: datetime
           ) -> tuple[TimerDiff, list[Rescheduled]]:
    """Every pending timer recomputed under `policy` from the complaint's history, ignoring the due
    times stored under its old version (a manager re-applying a policy). Timers that already fired
    stay fired: an escalation that happened is history, whatever the new ladder says."""
    by_key = {t.key: t for t in stored}
    want = {**wanted(policy, c), **repeating(policy, c, _rows(stored))}
    diff = _Diff()
    changes: list[Rescheduled] = []
    for key, row in want.items():
        timer = by_key.get(key)
        if not row:
            continue  # a repeat already planned: kept as it is
        if timer is None:
            changes.append(Rescheduled(*key, None, row["due_at"]))
            diff.planned({key: row})
        elif timer.pending and timer.due_at != row["due_at"]:
            changes.append(Rescheduled(*key, timer.due_at, row["due_at"]))
            diff.move.append(Moved(timer.id, due_at=row["due_at"], met_by=tuple(row["met_by"]), detail=row["detail"]))
    for key, timer in by_key.items():
        if timer.pending and key not in want:
            changes.append(Rescheduled(*key, timer.due_at, None))
            diff.finish.append(timer.id)
    return diff.frozen(), sorted(changes, key=lambda r: (r.round, r.after or r.before or now, r.kind, r.level))
