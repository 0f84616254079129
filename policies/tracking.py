"""Which deadlines a complaint has had, and whether it met them, replayed from its events.

Derived, never stored here: the same replay tells the walkthrough and `desk show` what was
met or missed, and tells storage which timer rows to write or clear after a transition.

Rules:
- a stage's clock starts when the complaint enters its `from` state; it is met when the
  complaint enters one of its `until` states, or ends (closed, rejected, withdrawn);
- before classification only stages with their own `within` are timed (e.g. triage); the
  others that started then are timed once type and tier are known, from their real start;
- a reopen or an appeal starts a new round: the stages counted from receipt that are still
  ahead on the re-handling path (investigate, resolve, ...) run again from that moment;
- a pause holds the deadlines it names: once resumed, each is later by the paused time as it
  counts time (policy.resumed_due); while it lasts the stage is held, never overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from policies.policy import Policy, StageDeadline
from states import TERMINAL, Complaint, reachable_from

NEW_ROUND = ("Reopened", "Appealed")


@dataclass(slots=True)
class StageStatus:
    round: int
    started_at: datetime
    stage: str
    met_by: tuple[str, ...]
    # The deadline is worked out on first use: a replay after each transition needs only the
    # stages still open, and those usually have their due time stored already.
    compute: Callable[[], StageDeadline]
    met_at: datetime | None = None
    computed: StageDeadline | None = None
    held_since: datetime | None = None  # paused now: the deadline waits with its clock stopped
    # The ended pauses (start, end) that moved a deadline computed here, and the deadline before
    # them (as set by the policy or the last extension granted): its ladder is placed on that one
    # and moved the same way, as stored rungs are on resume.
    shifts: tuple[tuple[datetime, datetime], ...] = ()
    unshifted: StageDeadline | None = None
    extended: bool = False  # an extension (延期) was granted: reports count it apart

    def shifted(self, policy: Policy, due: datetime, basis: str) -> datetime:
        """`due` moved by each of this stage's ended pauses, in order."""
        for since, until in self.shifts:
            due = policy.resumed_due(due, basis, since, until)
        return due

    @property
    def deadline(self) -> StageDeadline:
        if self.computed is None:
            self.computed = self.compute()
        return self.computed

    @property
    def due_at(self) -> datetime:
        return self.deadline.due_at

    @property
    def met_in_time(self) -> bool | None:
        """True/False once met; None while still open."""
        return None if self.met_at is None else self.met_at <= self.due_at

    def overdue_at(self, now: datetime) -> timedelta | None:
        """How late the stage is at `now` (None when met, paused or not yet due)."""
        if self.met_at is None and self.held_since is None and now > self.due_at:
            return now - self.due_at
        return None


def _unset() -> StageDeadline:
    raise AssertionError("a stage's deadline is computed by the replay that started it")


class _Replay:
    def __init__(self, policy: Policy, complaint: Complaint, known: Mapping[tuple[str, int], datetime]) -> None:
        self.policy, self.complaint, self.known = policy, complaint, known
        self.report: list[StageStatus] = []
        self.entered: list[tuple[str, datetime]] = []  # (state, when), in order
        self.type_key: str | None = None
        self.tier: str | None = None
        self.round = 1

    def start(self, stage: str, started_at: datetime) -> None:
        key, tier, known = self.type_key, self.tier, self.known.get((stage, self.round))
        if self.policy.duration_for(key, tier, stage) is None:
            return
        policy = self.policy
        pauses = [p for p in self.complaint.pauses if p.round == self.round and stage in p.stages]
        grants = [e for e in self.complaint.extensions
                  if e.round == self.round and e.stage == stage and e.decided_at is not None and e.status == "granted"]
        status = StageStatus(self.round, started_at, stage, tuple(self.policy.spec.stages[stage].until), _unset)
        status.held_since = next((p.at for p in pauses if p.resumed_at is None), None)
        status.extended = bool(grants)

        def compute() -> StageDeadline:
            # A stored due time has its pauses in it, but not an extension granted since: an
            # extended deadline is worked out from the grant.
            stored = known if not grants else None
            deadline = policy.deadline(key, tier, stage, started_at, stored)
            assert deadline is not None  # duration_for said this stage is timed
            if stored is not None:
                return deadline
            # Each ended pause moves it by the paused time; a grant sets it to the new due time.
            changes = sorted([(p.resumed_at, 0, p.at, p.resumed_at) for p in pauses if p.resumed_at is not None]
                             + [(e.decided_at, 1, e.new_due, e.new_due) for e in grants if e.decided_at is not None])
            shifts: list[tuple[datetime, datetime]] = []
            for _, extends, first, second in changes:
                if extends:
                    deadline, shifts = replace(deadline, due_at=first), []
                else:
                    shifts.append((first, second))
            status.shifts, status.unshifted = tuple(shifts), deadline
            return replace(deadline, due_at=status.shifted(policy, deadline.due_at, deadline.basis))

        status.compute = compute
        met = [when for state, when in self.entered if when >= started_at and _meets(status, state)]
        status.met_at = met[0] if met else None
        self.report.append(status)

    def started(self, stage: str, *, still_open: bool = False) -> bool:
        """Whether this round already has a deadline for `stage` (optionally: one not yet met)."""
        return any(
            s.stage == stage and s.round == self.round and not (still_open and s.met_at is not None)
            for s in self.report
        )

    def classified(self, data: dict[str, object]) -> None:
        first_time = self.type_key is None
        self.type_key = str(data.get("type") or self.type_key)
        self.tier = str(data.get("tier") or self.tier)
        if not first_time:
            return
        for stage, spec in self.policy.spec.stages.items():
            began = [when for state, when in self.entered[:-1] if state == spec.from_]
            if began and not self.started(stage):
                self.start(stage, began[0])

    def new_round(self, dest: str, when: datetime) -> None:
        self.round += 1
        ahead = reachable_from(self.complaint.family, dest)
        for stage, spec in self.policy.spec.stages.items():
            if spec.from_ == "received" and ahead & set(spec.until):
                self.start(stage, when)

    def run(self) -> list[StageStatus]:
        for event in self.complaint.events:
            moved = event.source != event.dest
            if moved:
                self.entered.append((event.dest, event.at))
                for status in self.report:
                    if status.met_at is None and _meets(status, event.dest):
                        status.met_at = event.at
            if event.trigger in ("classify", "reclassify"):
                self.classified(dict(event.data))
            elif event.name in NEW_ROUND and self.type_key is not None:
                self.new_round(event.dest, event.at)
            if moved:
                for stage, spec in self.policy.spec.stages.items():
                    if spec.from_ == event.dest and not self.started(stage, still_open=True):
                        self.start(stage, event.at)
        return self.report


def stage_report(policy: Policy, complaint: Complaint,
                 known: Mapping[tuple[str, int], datetime] | None = None) -> list[StageStatus]:
    """Every stage deadline of every round, in the order they started. `known` holds due times
    already stored, by (stage, round), so that only new deadlines are computed."""
    return _Replay(policy, complaint, known or {}).run()


def _meets(status: StageStatus, state: str) -> bool:
    return state in status.met_by or state in TERMINAL
