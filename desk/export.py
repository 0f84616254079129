"""Complaints as rows for analysts (`desk export`): state, classification, who owned and handled
them, every event with its time, actor and arguments, and each stage deadline met or missed.

A full row carries the complainant's details and words: for authorised staff only. A redacted
row carries none of them: a `complainant_ref` that is stable within one export, and every
free text (description, request, findings, notes, reasons, free-text event arguments) scrubbed
of the complainant's own details and of anything phone-, e-mail- or ID-card-like (desk.redact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from desk.redact import Complainant, Pseudonyms, scrub, scrub_values
from desk.service import Desk
from desk.store import extract
from desk.store.extract import Selection
from desk.timers import stage_deadlines
from desk.views import verdict
from policies import Policy
from states import TERMINAL, Complaint

PAGE = 200
# The order of a CSV's columns; lists and the complainant are JSON text inside their cell.
COLUMNS = (
    "number", "family", "channel", "type", "tier", "responsibility", "status", "department", "first_responder",
    "handler", "policy_version", "round", "reopen_count", "appeal_count", "bounces", "received_at", "ended_at",
    "exit_reason", "final_decision", "feedback_channel", "evidence_outcome", "dispatched_crew", "evidence",
    "deadlines_met", "deadlines_missed", "deadlines_overdue", "deadlines_open", "escalation_level",
    "complainant_ref", "complainant", "deadlines", "escalations", "events", "handoffs", "approvals", "findings",
    "resolutions", "revisits", "refusals",
)
# Event arguments that are codes, ids, amounts or times, never someone's words: kept as they
# are. Every other argument is treated as free text, so a new one is scrubbed until listed here.
STRUCTURED_ARGUMENTS = frozenset({
    "type", "tier", "responsibility", "policy_version", "revisit_attempts", "handler", "department", "to",
    "action", "approver", "amount", "cosigner", "approval", "resolution", "compensation", "authority_limit",
    "channel", "outcome", "window_ends", "stage", "level", "notify",
})

Clean = Callable[[str], str]


@dataclass(frozen=True)
class Export:
    selection: Selection
    redact: bool
    now: datetime  # deadlines still open are judged overdue or not at this moment


def count(desk: Desk, selection: Selection) -> int:
    with desk.reading() as uow:
        return extract.count(uow.connection, selection)


def rows(desk: Desk, export: Export, progress: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
    """Every selected complaint as a row, in filing order, read a page at a time."""
    pseudonyms = Pseudonyms()  # a fresh key per export: refs cannot be linked across exports
    after, done = 0, 0
    while True:
        with desk.reading() as uow:
            ids = extract.page(uow.connection, export.selection, after, PAGE)
            if not ids:
                return
            people = extract.complainants_of(uow.connection, ids)
            refused = extract.refusals_of(uow.connection, ids)
            loaded = uow.complaints.get_many_by_id(ids)
            timers = uow.timers.keys_of_many(ids)
            policies = [desk.book.for_complaint(item.complaint, uow) for item in loaded]
        for item, policy in zip(loaded, policies, strict=True):
            person = people.get(item.id, {})
            yield row_of(item.complaint, person, policy, export, pseudonyms if export.redact else None,
                         refused.get(item.id, []), timers[item.id])
        after, done = ids[-1], done + len(ids)
        if progress:
            progress(done)


def row_of(c: Complaint, person: dict[str, Any], policy: Policy, export: Export,
           pseudonyms: Pseudonyms | None, refused: list[dict[str, Any]],
           timers: list[dict[str, Any]]) -> dict[str, Any]:
    own = Complainant.of(person)

    def clean(text: str) -> str:
        return scrub(text, own) if pseudonyms is not None else text

    deadlines = [
        {"stage": s.stage, "round": s.round, "due_at": _time(s.due_at), "met_at": _time(s.met_at),
         "verdict": verdict(s.met_at, s.due_at, export.now)}
        for s in stage_deadlines(policy, c, timers)
    ]
    verdicts = [d["verdict"] for d in deadlines]
    ended = next((e.at for e in reversed(c.events) if e.dest == c.status), None) if c.status in TERMINAL else None
    row: dict[str, Any] = {
        "number": c.number, "family": c.family.value, "channel": c.channel, "type": c.type, "tier": c.tier,
        "responsibility": c.responsibility, "status": c.status, "department": c.department,
        "first_responder": c.first_responder, "handler": c.handler, "policy_version": c.policy_version,
        "round": c.round, "reopen_count": c.reopen_count, "appeal_count": c.appeal_count, "bounces": c.bounces,
        "received_at": _time(c.received_at), "ended_at": _time(ended),
        "exit_reason": _text(c.exit_reason, clean), "final_decision": _text(c.final_decision, clean),
        "feedback_channel": c.feedback_channel, "evidence_outcome": c.evidence_outcome,
        "dispatched_crew": _text(c.dispatched_crew, clean), "evidence": [clean(item) for item in c.evidence],
        "deadlines_met": verdicts.count("met"), "deadlines_missed": verdicts.count("missed"),
        "deadlines_overdue": verdicts.count("overdue"), "deadlines_open": verdicts.count("open"),
        "escalation_level": max((e.level for e in c.escalations), default=0),
        "complainant_ref": None, "complainant": None,
        "deadlines": deadlines,
        "escalations": [{"stage": e.stage, "level": e.level, "action": e.action, "notify": list(e.notify),
                         "at": _time(e.at)} for e in c.escalations],
        "events": [{"seq": seq, "name": e.name, "trigger": e.trigger, "source": e.source, "dest": e.dest,
                    "actor": e.actor, "at": _time(e.at), "data": _arguments(e.data, clean)}
                   for seq, e in enumerate(c.events, start=1)],
        "handoffs": [{"from": h.from_handler, "to": h.to_handler, "to_department": h.to_department,
                      "reason": clean(h.reason), "actor": h.actor, "at": _time(h.at), "bounce": h.bounce}
                     for h in c.handoffs],
        "approvals": [{"id": a.id, "action": a.action, "amount": _amount(a.amount), "requested_by": a.requested_by,
                       "approver": a.approver, "cosigner": a.cosigner, "signed_by": list(a.signed_by),
                       "status": a.status.value, "requested_at": _time(a.requested_at),
                       "decided_at": _time(a.decided_at), "note": _text(a.note, clean)} for a in c.approvals],
        "findings": [{"round": f.round, "text": clean(f.text), "actor": f.actor, "at": _time(f.at)}
                     for f in c.findings],
        "resolutions": [{"round": r.round, "kind": r.kind, "detail": clean(r.detail),
                         "compensation": _amount(r.compensation), "actor": r.actor, "at": _time(r.at),
                         "approval_id": r.approval_id} for r in c.resolutions],
        "revisits": [{"round": r.round, "outcome": r.outcome.value, "note": _text(r.note, clean), "actor": r.actor,
                      "at": _time(r.at)} for r in c.revisits],
        # Triggers the desk said no to (wrong state, no authority, a stale version), with the reason given.
        "refusals": [{"trigger": r["trigger"], "actor": r["actor"], "at": _time(r["at"]), "kind": r["kind"],
                      "status": r["status"], "reason": clean(r["reason"])} for r in refused],
    }
    if pseudonyms is None:
        row["complainant"] = {key: person.get(key) for key in
                              ("name", "phone", "email", "address", "description", "request")}
    else:
        row["complainant_ref"] = pseudonyms.ref(own)
        row["complainant"] = {key: _text(person.get(key), clean) for key in ("description", "request")}
    return row


def csv_cells(row: dict[str, Any]) -> dict[str, Any]:
    """A row flattened for a spreadsheet: lists and objects become JSON text in their cell."""
    return {key: json.dumps(row[key], ensure_ascii=False) if isinstance(row[key], list | dict) else row[key]
            for key in COLUMNS}


def _arguments(data: Any, clean: Clean) -> dict[str, Any]:
    plain = {str(key): _jsonable(value) for key, value in dict(data).items()}
    return {key: value if key in STRUCTURED_ARGUMENTS else scrub_values(value, clean) for key, value in plain.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _time(value)
    if isinstance(value, Decimal):
        return _amount(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


def _time(value: datetime | None) -> str | None:
    """UTC ISO 8601 throughout, so that analysts subtract times without thinking of zones."""
    return value.astimezone(UTC).isoformat() if value else None


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _text(value: str | None, clean: Clean) -> str | None:
    return None if value is None else clean(value)
