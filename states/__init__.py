"""WHAT a complaint is and HOW it may move. Pure: no I/O, no clock, no storage, no Prefect.

    complaint = receive(number="TS-2026-000123", family="property", first_responder="agent-li",
                        received_at=at, channel="phone")
    fire(complaint, "dispatch", actor="agent-li", at=at, tier="urgent", crew="maintenance on duty")
"""

from states.complaint import Complaint, receive
from states.diagram import to_mermaid
from states.errors import (
    ComplaintError,
    DirectStateWrite,
    FirstResponsibilityViolation,
    GuardRefused,
    TriggerNotAllowed,
)
from states.families import TERMINAL
from states.machines import (
    MACHINES,
    allowed_triggers,
    allowed_while_paused,
    fire,
    reachable_from,
    states_of,
    triggers_of,
)
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
from states.vocabulary import (
    Channel,
    Family,
    RejectReason,
    ResolutionKind,
    Responsibility,
    RevisitOutcome,
    Tier,
)

__all__ = [
    "MACHINES",
    "TERMINAL",
    "Approval",
    "Channel",
    "Complaint",
    "ComplaintError",
    "DirectStateWrite",
    "DomainEvent",
    "Escalation",
    "Extension",
    "Family",
    "Finding",
    "FirstResponsibilityViolation",
    "GuardRefused",
    "HandOff",
    "Pause",
    "Promise",
    "Referral",
    "RejectReason",
    "Resolution",
    "ResolutionKind",
    "Responsibility",
    "RevisitAttempt",
    "RevisitOutcome",
    "Tier",
    "TriggerNotAllowed",
    "allowed_triggers",
    "allowed_while_paused",
    "fire",
    "reachable_from",
    "receive",
    "states_of",
    "to_mermaid",
    "triggers_of",
]
