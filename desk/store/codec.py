"""Complaint aggregates to rows and back. JSON holds plain values: ISO times, decimal strings.

Both directions run on every transition, so they avoid the generic tools (`dataclasses.asdict`
deep-copies; reading field types per item is slow): each record class gets its field list and
converters worked out once, and a save re-serialises only the items changed or added since the load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from states import (
    Approval,
    Complaint,
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
    "pauses": Pause,  # the last one is rewritten when it ends
    "extensions": Extension,  # rewritten when decided
    "promises": Promise,
    "referrals": Referral,  # rewritten when answered
}
RECORD_SCALARS = (
    "responsibility", "revisit_attempt_limit", "appeal_count", "dispatched_crew", "evidence",
    "evidence_outcome", "feedback_channel", "exit_reason", "final_decision", "round_started_at",
)


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


_AS_IS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A JSON-ready copy: datetimes to ISO text, decimals to strings, enums to values."""
    kind = type(value)
    # The exact types first: every transition converts a few dozen values, most of them these.
    if kind in _AS_IS:
        return value
    if kind is datetime:
        return value.isoformat()
    if kind is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


Revived = dict[str, tuple[Any, ...]]  # each record list's items as restore() built them


def to_record(c: Complaint, stored: dict[str, Any] | None = None, revived: Revived | None = None) -> dict[str, Any]:
    """The record column's value. Given the record as it was loaded (`stored`) and the items
    restore() built from it (`revived`), an item still there (the same object: records are
    frozen, so a changed one is a new object) keeps its stored form rather than being
    serialised again; a transition changes one or two items of a complaint's dozens."""
    record: dict[str, Any] = {name: plain(getattr(c, name)) for name in RECORD_SCALARS}
    for name in RECORD_LISTS:
        items = getattr(c, name)
        before = (revived or {}).get(name, ())
        kept = (stored or {}).get(name) or []
        if len(kept) != len(before):
            before = ()  # not what was restored from this record: write the list afresh
        record[name] = [kept[i] if i < len(before) and item is before[i] else plain(item)
                        for i, item in enumerate(items)]
    return record


def _iso(value: Any) -> Any:
    return None if value is None else datetime.fromisoformat(value)


def _decimal(value: Any) -> Any:
    return None if value is None else Decimal(value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(value or ())


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value or {})


@cache
def _converters(kind: type) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """How to turn each stored field of a record class back into its Python value."""
    found: list[tuple[str, Callable[[Any], Any] | None]] = []
    for f in fields(kind):
        hint = str(f.type)
        convert: Callable[[Any], Any] | None = None
        if "datetime" in hint:
            convert = _iso
        elif "Decimal" in hint:
            convert = _decimal
        elif f.name == "outcome":
            convert = RevisitOutcome
        elif f.name == "status" and kind in (Approval, Extension):
            convert = ApprovalStatus
        elif f.name == "data":
            convert = _mapping
        elif f.name in ("notify", "signed_by", "stages", "people"):
            convert = _strings
        found.append((f.name, convert))
    return tuple(found)


def _revive(kind: type, data: dict[str, Any]) -> Any:
    return kind(**{name: convert(data.get(name)) if convert else data.get(name)
                   for name, convert in _converters(kind)})


def restore(row: Any) -> tuple[Complaint, Revived]:
    """Rebuilds the aggregate from its row (columns + record), given as a mapping; with the items
    it built for each record list, whose stored form to_record reuses while they stay."""
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
    revived: Revived = {}
    for name, kind in RECORD_LISTS.items():
        items = [_revive(kind, item) for item in record.get(name, [])]
        setattr(c, name, items)
        revived[name] = tuple(items)
    return c, revived
