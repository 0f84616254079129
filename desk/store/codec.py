"""Complaint aggregates to rows and back. JSON holds plain values: ISO times, decimal strings."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from states import Approval, Complaint, DomainEvent, Escalation, Finding, HandOff, Resolution, RevisitAttempt
from states.vocabulary import ApprovalStatus, RevisitOutcome

# Attributes of states.Complaint kept in the `record` JSON column (the rest are columns).
# Events, hand-offs and approvals are also appended to their own tables (the queryable log);
# the copy here lets a complaint load in one read.
RECORD_LISTS: dict[str, type] = {
    "findings": Finding,
    "resolutions": Resolution,
    "revisits": RevisitAttempt,
    "escalations": Escalation,
    "events": DomainEvent,
    "handoffs": HandOff,
    "approvals": Approval,
}
RECORD_SCALARS = (
    "responsibility", "revisit_attempt_limit", "appeal_count", "dispatched_crew", "evidence",
    "evidence_outcome", "feedback_channel", "exit_reason", "final_decision", "round_started_at",
)


def plain(value: Any) -> Any:
    """A JSON-ready copy: datetimes to ISO text, decimals to strings, enums to values."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def to_record(c: Complaint) -> dict[str, Any]:
    record: dict[str, Any] = {name: plain(getattr(c, name)) for name in RECORD_SCALARS}
    for name in RECORD_LISTS:
        record[name] = plain(getattr(c, name))
    return record


def _revive(kind: type, data: dict[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in fields(kind):
        value = data.get(f.name)
        hint = str(f.type)
        if value is not None and "datetime" in hint:
            value = datetime.fromisoformat(value)
        elif value is not None and "Decimal" in hint:
            value = Decimal(value)
        elif f.name == "outcome":
            value = RevisitOutcome(str(value))
        elif f.name == "status" and kind is Approval:
            value = ApprovalStatus(str(value))
        elif f.name == "data":
            value = value or {}
        elif f.name in ("notify", "signed_by"):
            value = tuple(value or ())
        values[f.name] = value
    return kind(**values)


def restore(row: dict[str, Any]) -> Complaint:
    """Rebuilds the aggregate from its row (columns + record)."""
    c = Complaint(
        number=row["number"], family=row["family"], first_responder=row["first_responder"],
        received_at=row["received_at"], channel=row["channel"], status=row["status"],
    )
    c.type, c.tier, c.handler, c.department = row["type"], row["tier"], row["handler"], row["department"]
    c.policy_version, c.round, c.reopen_count = row["policy_version"], row["round"], row["reopen_count"]
    record = row["record"] or {}
    for name in RECORD_SCALARS:
        if name in record:
            value = record[name]
            if name == "round_started_at" and value is not None:
                value = datetime.fromisoformat(value)
            setattr(c, name, value)
    for name, kind in RECORD_LISTS.items():
        setattr(c, name, [_revive(kind, item) for item in record.get(name, [])])
    return c
