"""What a complaint remembers besides its state: immutable records appended by transitions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from states.vocabulary import ApprovalStatus, RevisitOutcome


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One accepted trigger (or the receipt). The audit trail is a list of these."""

    name: str  # business name: Received, Classified, HandedOff, Reopened, ...
    trigger: str
    source: str | None  # None only for the receipt
    dest: str
    actor: str
    at: datetime
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HandOff:
    """A change of handler. The first responder stays accountable whatever happens here."""

    from_handler: str
    to_handler: str
    to_department: str | None
    reason: str
    actor: str
    at: datetime
    bounce: bool  # the complaint went back to someone who already had it: 推诿 made visible


@dataclass(frozen=True, slots=True)
class Approval:
    """An action beyond someone's authority, asked of a leader (如因权力限制可向领导请求授权批准)."""

    id: int
    action: str
    amount: Decimal | None
    requested_by: str
    approver: str
    requested_at: datetime
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_at: datetime | None = None
    note: str | None = None
    # 会同: some amounts are decided by two leaders together; granted when both have signed.
    cosigner: str | None = None
    signed_by: tuple[str, ...] = ()

    @property
    def deciders(self) -> tuple[str, ...]:
        return (self.approver, self.cosigner) if self.cosigner else (self.approver,)


@dataclass(frozen=True, slots=True)
class Finding:
    round: int
    text: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Resolution:
    round: int
    kind: str
    detail: str
    compensation: Decimal | None
    actor: str
    at: datetime
    approval_id: int | None  # the approval that covered an amount beyond the resolver's authority


@dataclass(frozen=True, slots=True)
class RevisitAttempt:
    round: int
    outcome: RevisitOutcome
    note: str | None
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Escalation:
    stage: str
    level: int
    action: str
    notify: tuple[str, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class Pause:
    """The clock stopped while the complaint waits on someone else (the complainant's information,
    a utility company, a courier). `stages` are the deadlines it holds; their pending timers move
    by the paused time on resume. Ended by `resume`, by the policy's cap, or by the complaint's exit."""

    round: int
    reason: str
    note: str | None
    stages: tuple[str, ...]
    actor: str
    at: datetime
    cap_ends: datetime | None = None  # the clock resumes by itself then (the policy's pause.cap)
    resumed_at: datetime | None = None
    resumed_by: str | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    """More time for one stage (延期), asked before its deadline and decided by a leader the policy
    names; granted, the stage falls due at `new_due` and its ladder moves with it."""

    id: int
    stage: str
    round: int
    reason: str
    new_due: datetime
    due_before: datetime  # the deadline it was asked against (asked before it, or refused)
    asked_by: str
    asked_at: datetime
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Promise:
    """The reason and the exact time told to the complainant when it cannot be solved at once
    (seeds 000, 003: 说明原因和确切解决时间，到时主动约见顾客). Kept by contact or a resolution
    recorded by then; a later promise replaces it."""

    id: int
    round: int
    reason: str
    promised_for: datetime
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Referral:
    """The owner asks a leader to take a hand now (seed 003: 立即引荐给上层领导); the owner stays
    accountable, the leader's answer is clocked by the policy."""

    id: int
    round: int
    to: str  # as asked: a person id or a role
    people: tuple[str, ...]  # who that was when asked
    reason: str
    actor: str
    at: datetime
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer: str | None = None
