"""The complaint as the lifecycle sees it: a plain object, moved only by triggers.

The machine is unbound (see machines.py), so the complaint carries no transitions
machinery; `status` is writable only while a trigger is being fired, and the first
responder is fixed at receipt (首诉负责制).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from states.errors import DirectStateWrite, FirstResponsibilityViolation
from states.records import (
    Approval,
    DomainEvent,
    Escalation,
    Extension,
    Finding,
    HandOff,
    Pause,
    Promise,
    Referral,
    Resolution,
    RevisitAttempt,
)
from states.vocabulary import Family, RevisitOutcome

RECEIVED = "received"
# Events that keep a promise made to the complainant: they were told how things stand, or it was solved.
PROMISE_KEPT_BY = ("ProgressReported", "Resolved", "FedBack", "Closed", "Withdrawn", "Rejected")


class Complaint:
    """One complaint. Create it with `receive`; move it with `states.fire`."""

    def __init__(
        self,
        *,
        number: str,
        family: Family | str,
        first_responder: str,
        received_at: datetime,
        channel: str,
        status: str = RECEIVED,
    ) -> None:
        if not first_responder.strip():
            raise FirstResponsibilityViolation(f"{number}: a complaint needs a first responder at receipt")
        _require_aware(received_at, "received_at")
        self.number = number
        self.family = Family(family)
        self._first_responder = first_responder
        self.received_at = received_at
        self.channel = channel
        self._status = status
        self._moving = False
        # Set by classification; the policy's numbers are copied in so that a later
        # policy edit does not change what this complaint was promised.
        self.type: str | None = None
        self.tier: str | None = None
        self.responsibility: str | None = None
        self.policy_version: str | None = None
        self.revisit_attempt_limit: int | None = None
        # Who works on it now. Starts with the first responder: they own and handle it.
        self.handler: str = first_responder
        self.department: str | None = None
        self.round = 1  # handling round; a reopen or an appeal starts the next one
        self.round_started_at = received_at
        self.reopen_count = 0
        self.appeal_count = 0
        self.dispatched_crew: str | None = None
        self.evidence: list[str] = []
        self.evidence_outcome: str | None = None  # "received" or "deadline_passed"
        self.findings: list[Finding] = []
        self.resolutions: list[Resolution] = []
        self.feedback_channel: str | None = None
        self.revisits: list[RevisitAttempt] = []
        self.handoffs: list[HandOff] = []
        self.approvals: list[Approval] = []
        self.escalations: list[Escalation] = []
        self.pauses: list[Pause] = []  # clock stops, in order; at most the last one is still open
        self.extensions: list[Extension] = []  # more time asked for a stage (延期), and the answers
        self.promises: list[Promise] = []  # times told to the complainant; the last of a round counts
        self.referrals: list[Referral] = []  # leaders asked to take a hand, and their answers
        self.exit_reason: str | None = None  # why it was rejected or withdrawn
        self.final_decision: str | None = None
        self.events: list[DomainEvent] = []

    # -- guarded attributes ---------------------------------------------------------
    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        if not self._moving:
            raise DirectStateWrite(
                f"{self.number}: status cannot be set to '{value}' directly; fire a trigger"
            )
        self._status = value

    @property
    def first_responder(self) -> str:
        return self._first_responder

    @first_responder.setter
    def first_responder(self, value: str) -> None:
        raise FirstResponsibilityViolation(
            f"{self.number}: the first responder is {self._first_responder} and cannot become {value}"
            " (首诉负责制: whoever receives a complaint owns it until it is closed)"
        )

    @contextmanager
    def moving(self) -> Iterator[None]:
        """Opens the status for writing while one trigger runs; used only by `fire`."""
        self._moving = True
        try:
            yield
        finally:
            self._moving = False

    # -- what the record says -------------------------------------------------------
    @property
    def previous_handlers(self) -> set[str]:
        """Everyone who has held the complaint before the current handler."""
        held = {self._first_responder}
        held.update(h.from_handler for h in self.handoffs)
        held.discard(self.handler)
        return held

    @property
    def bounces(self) -> int:
        return sum(1 for h in self.handoffs if h.bounce)

    def findings_this_round(self) -> list[Finding]:
        return [f for f in self.findings if f.round == self.round]

    def last_revisit(self) -> RevisitAttempt | None:
        this_round = [r for r in self.revisits if r.round == self.round]
        return this_round[-1] if this_round else None

    def unreachable_attempts(self) -> int:
        return sum(
            1 for r in self.revisits if r.round == self.round and r.outcome is RevisitOutcome.UNREACHABLE
        )

    @property
    def paused(self) -> Pause | None:
        """The pause holding the clock now, if any."""
        last = self.pauses[-1] if self.pauses else None
        return last if last is not None and last.resumed_at is None else None

    def extension(self, extension_id: int) -> Extension | None:
        return next((e for e in self.extensions if e.id == extension_id), None)

    def open_promise(self) -> Promise | None:
        """This round's last promise, unless contact or a resolution was recorded since (kept)."""
        made = [p for p in self.promises if p.round == self.round]
        if not made:
            return None
        last = made[-1]
        kept = any(e.at >= last.at and e.name in PROMISE_KEPT_BY for e in reversed(self.events))
        return None if kept else last

    def referral(self, referral_id: int) -> Referral | None:
        return next((r for r in self.referrals if r.id == referral_id), None)

    def approval(self, approval_id: int) -> Approval | None:
        for a in self.approvals:
            if a.id == approval_id:
                return a
        return None

    def snapshot(self) -> dict[str, Any]:
        """A comparable view of everything a transition may change (for tests and audits)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "_moving"}

    def __repr__(self) -> str:
        return f"<Complaint {self.number} {self.family} {self._status}>"


def receive(
    *,
    number: str,
    family: Family | str,
    first_responder: str,
    received_at: datetime,
    channel: str,
    data: dict[str, object] | None = None,
) -> Complaint:
    """Registers a complaint (受理): the receiver becomes its first responder for good."""
    complaint = Complaint(
        number=number,
        family=family,
        first_responder=first_responder,
        received_at=received_at,
        channel=channel,
    )
    complaint.events.append(
        DomainEvent(
            name="Received",
            trigger="receive",
            source=None,
            dest=RECEIVED,
            actor=first_responder,
            at=received_at,
            data={"channel": channel, **(data or {})},
        )
    )
    return complaint


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone (got naive {moment.isoformat()})")
