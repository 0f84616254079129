"""Which deadlines a complaint has had, and whether it met them, replayed from its events.

Derived, never stored here: the same replay tells the walkthrough and `desk show` what was
met or missed, and tells storage which timer rows to write or clear after a transition.

Rules:
- a stage's clock starts when the complaint enters its `from` state; it is met when the
  complaint enters one of its `until` states, or ends (closed, rejected, withdrawn);
- stages whose clock started before classification (e.g. from receipt) are timed once the
  type and tier are known, from the moment they really started;
- a reopen or an appeal starts a new round: the stages counted from receipt that are still
  ahead on the re-handling path (investigate, resolve, ...) run again from that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.policy import Policy, StageDeadline
from states import TERMINAL, Complaint, reachable_from

NEW_ROUND = ("Reopened", "Appealed")


@dataclass(slots=True)
class StageStatus:
    round: int
    started_at: datetime
    deadline: StageDeadline
    met_at: datetime | None = None

    @property
    def stage(self) -> str:
        return self.deadline.stage

    @property
    def due_at(self) -> datetime:
        return self.deadline.due_at

    @property
    def met_in_time(self) -> bool | None:
        """True/False once met; None while still open."""
        return None if self.met_at is None else self.met_at <= self.due_at

    def overdue_at(self, now: datetime) -> timedelta | None:
        """How late the stage is at `now` (None when met or not yet due)."""
        if self.met_at is None and now > self.due_at:
            return now - self.due_at
        return None


def stage_report(policy: Policy, complaint: Complaint) -> list[StageStatus]:
    """Every stage deadline of every round, in the order they started."""
    report: list[StageStatus] = []
    entered: list[tuple[str, datetime]] = []  # (state, when), in order
    type_key: str | None = None
    tier: str | None = None
    round_no = 1

    def start(stage: str, started_at: datetime) -> None:
        assert type_key is not None and tier is not None
        deadline = policy.deadline(type_key, tier, stage, started_at)
        if deadline is None:
            return
        status = StageStatus(round_no, started_at, deadline)
        met = [when for state, when in entered if when >= started_at and _meets(deadline, state)]
        if met:
            status.met_at = met[0]
        report.append(status)

    for event in complaint.events:
        moved = event.source != event.dest
        if moved:
            entered.append((event.dest, event.at))
            for status in report:
                if status.met_at is None and _meets(status.deadline, event.dest):
                    status.met_at = event.at
        if event.trigger in ("classify", "reclassify"):
            first_time = type_key is None
            type_key = str(event.data.get("type") or type_key)
            tier = str(event.data.get("tier") or tier)
            if first_time:
                for stage, spec in policy.spec.stages.items():
                    started = [when for state, when in entered[:-1] if state == spec.from_]
                    if started:
                        start(stage, started[0])
        elif event.name in NEW_ROUND and type_key is not None:
            round_no += 1
            ahead = reachable_from(complaint.family, event.dest)
            for stage, spec in policy.spec.stages.items():
                if spec.from_ == "received" and ahead & set(spec.until):
                    start(stage, event.at)
        if moved and type_key is not None:
            for stage, spec in policy.spec.stages.items():
                if spec.from_ == event.dest:
                    start(stage, event.at)
    return report


def _meets(deadline: StageDeadline, state: str) -> bool:
    return state in deadline.met_by or state in TERMINAL
