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
