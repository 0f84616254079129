"""The guards a real desk needs, and the effects each trigger has on the record.

Guards never mutate; effects run only after every guard held, and return the data
the move's event carries. Nothing here reads a clock: `args.at` is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from enum import StrEnum

from states.complaint import Complaint
from states.moves import Args, Guard
from states.records import (
    Approval,
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
    ApprovalStatus,
    Channel,
    Family,
    RejectReason,
    ResolutionKind,
    Responsibility,
    RevisitOutcome,
    Tier,
)


def _names(enum: type[StrEnum]) -> str:
    return ", ".join(v.value for v in enum)


def needs_text(name: str, what: str) -> Guard:
    return Guard(f"{what} is required ('{name}')", lambda c, a: a.text(name) is not None)


def needs_choice(name: str, enum: type[StrEnum], what: str) -> Guard:
    return Guard(f"{what} must be one of: {_names(enum)} ('{name}')", lambda c, a: a.choice(name, enum) is not None)


# -- classification -----------------------------------------------------------------
def _dispatched_if_urgent(c: Complaint, a: Args) -> bool:
    """Property emergencies get staff on site before anything else (seed 001: 立即采取应急措施)."""
    urgent = a.choice("tier", Tier) == Tier.URGENT
    return not (urgent and c.family == Family.PROPERTY and c.dispatched_crew is None)


URGENT_DISPATCHED_FIRST = Guard(
    "an urgent property complaint gets emergency dispatch first ('dispatch' with the crew sent)",
    _dispatched_if_urgent,
)

CLASSIFY_GUARDS = (
    needs_text("type", "the complaint type"),
    needs_choice("tier", Tier, "the tier"),
    needs_choice("responsibility", Responsibility, "the responsibility"),
    needs_text("policy_version", "the policy version it is classified under"),
    Guard(
        "the policy's revisit attempts must be a positive number ('revisit_attempts')",
        lambda c, a: (a.integer("revisit_attempts") or 0) >= 1,
    ),
    URGENT_DISPATCHED_FIRST,
)


def classify(c: Complaint, a: Args) -> Mapping[str, object]:
    c.type, c.tier = a.text("type"), a.choice("tier", Tier)
    c.responsibility = a.choice("responsibility", Responsibility)
    c.policy_version = a.text("policy_version")
    c.revisit_attempt_limit = a.integer("revisit_attempts")
    return {
        "type": c.type,
        "tier": c.tier,
        "responsibility": c.responsibility,
        "policy_version": c.policy_version,
    }


RECLASSIFY_GUARDS = (
    Guard("give a new 'type' or 'tier'", lambda c, a: a.text("type") is not None or a.has("tier")),
    Guard(
        f"the tier must be one of: {_names(Tier)} ('tier')",
        lambda c, a: not a.has("tier") or a.choice("tier", Tier) is not None,
    ),
    needs_text("reason", "a reason for reclassifying"),
)


def reclassify(c: Complaint, a: Args) -> Mapping[str, object]:
    before = {"type": c.type, "tier": c.tier}
    c.type = a.text("type") or c.type
    c.tier = a.choice("tier", Tier) or c.tier
    return {"before": before, "type": c.type, "tier": c.tier, "reason": a.text("reason")}


# -- a newer policy version, applied by a manager to an open complaint ----------------
REAPPLY_GUARDS = (
    needs_text("policy_version", "the policy version to apply"),
    Guard("the complaint already follows that version ('policy_version')",
          lambda c, a: a.text("policy_version") != c.policy_version),
    Guard("the policy's revisit attempts must be a positive number ('revisit_attempts')",
          lambda c, a: (a.integer("revisit_attempts") or 0) >= 1),
)


def reapply_policy(c: Complaint, a: Args) -> Mapping[str, object]:
    """Deadlines follow the version a complaint was classified under; only this explicit step
    (a manager's `desk policy apply --reclassify`) moves it to another one."""
    before = c.policy_version
    c.policy_version = a.text("policy_version")
    c.revisit_attempt_limit = a.integer("revisit_attempts")
    return {"before": before, "policy_version": c.policy_version, "revisit_attempts": c.revisit_attempt_limit}


# -- emergency dispatch (property) --------------------------------------------------
DISPATCH_GUARDS = (
    needs_text("crew", "who was sent to the site"),
    Guard("emergency dispatch is only for urgent complaints ('tier' must be urgent)",
          lambda c, a: a.choice("tier", Tier) == Tier.URGENT),
)


def dispatch(c: Complaint, a: Args) -> Mapping[str, object]:
    c.tier = Tier.URGENT.value  # provisional: classification confirms or lowers it
    c.dispatched_crew = a.text("crew")
    return {"crew": c.dispatched_crew, "tier": c.tier}


# -- assignment and hand-offs -------------------------------------------------------
ASSIGN_GUARDS = (
    needs_text("handler", "the handler (the person responsible)"),
    needs_text("department", "the handler's department"),
)

HAND_OFF_GUARDS = (
    needs_text("to", "a hand-off target"),
    needs_text("reason", "why the complaint is handed off"),
    Guard("the complaint is already with that handler", lambda c, a: a.text("to") != c.handler),
)


def _hand_to(c: Complaint, a: Args, to: str, department: str | None, reason: str) -> HandOff | None:
    if to == c.handler:
        c.department = department or c.department
        return None
    record = HandOff(
        from_handler=c.handler,
        to_handler=to,
        to_department=department,
        reason=reason,
        actor=a.actor,
        at=a.at,
        bounce=to in c.previous_handlers,
    )
    c.handoffs.append(record)
    c.handler, c.department = to, department or c.department
    return record


def assign(c: Complaint, a: Args) -> Mapping[str, object]:
    handler, department = a.text("handler") or "", a.text("department")
    record = _hand_to(c, a, handler, department, a.text("reason") or "assigned")
    return {"handler": handler, "department": department, "bounce": bool(record and record.bounce)}


def hand_off(c: Complaint, a: Args) -> Mapping[str, object]:
    record = _hand_to(c, a, a.text("to") or "", a.text("department"), a.text("reason") or "")
    assert record is not None  # the guard refused a hand-off to the current handler
    return {
        "from": record.from_handler,
        "to": record.to_handler,
        "department": record.to_department,
        "reason": record.reason,
        "bounce": record.bounce,
        "first_responder": c.first_responder,  # still accountable: 首诉负责制
    }


# -- approvals ----------------------------------------------------------------------
REQUEST_APPROVAL_GUARDS = (
    needs_text("action", "the action that needs approval"),
    needs_text("approver", "the approver"),
    Guard("an approval must be asked of someone else", lambda c, a: a.text("approver") != a.actor),
    Guard("a co-signer must be a third person ('cosigner')",
          lambda c, a: a.text("cosigner") is None or a.text("cosigner") not in (a.actor, a.text("approver"))),
    Guard("the amount must be a non-negative number of yuan ('amount')",
          lambda c, a: not a.has("amount") or a.amount("amount") is not None),
)


def request_approval(c: Complaint, a: Args) -> Mapping[str, object]:
    approval = Approval(
        id=len(c.approvals) + 1,
        action=a.text("action") or "",
        amount=a.amount("amount"),
        requested_by=a.actor,
        approver=a.text("approver") or "",
        requested_at=a.at,
        cosigner=a.text("cosigner"),
    )
    c.approvals.append(approval)
    return {"approval": approval.id, "action": approval.action, "amount": approval.amount,
            "approver": approval.approver, "cosigner": approval.cosigner}


def _pending_for_actor(c: Complaint, a: Args) -> bool:
    approval = c.approval(a.integer("approval") or 0)
    return (approval is not None and approval.status is ApprovalStatus.PENDING
            and a.actor in approval.deciders and a.actor not in approval.signed_by)


DECIDE_GUARDS = (
    Guard("'approval' must name a pending approval asked of you that you have not signed", _pending_for_actor),
)


def _decide(c: Complaint, a: Args, granting: bool) -> Mapping[str, object]:
    approval_id = a.integer("approval") or 0
    index = next(i for i, x in enumerate(c.approvals) if x.id == approval_id)
    current = c.approvals[index]
    signed = (*current.signed_by, a.actor) if granting else current.signed_by
    if not granting:
        status = ApprovalStatus.DECLINED  # either decider can stop it
    elif set(current.deciders) <= set(signed):
        status = ApprovalStatus.GRANTED
    else:
        status = ApprovalStatus.PENDING  # waiting for the other signature
    decided = replace(current, status=status, signed_by=signed, note=a.text("note") or current.note,
                      decided_at=a.at if status is not ApprovalStatus.PENDING else None)
    c.approvals[index] = decided
    return {"approval": decided.id, "action": decided.action, "amount": decided.amount,
            "approver": decided.approver, "cosigner": decided.cosigner, "signed_by": list(signed),
            "status": str(status)}


def approve(c: Complaint, a: Args) -> Mapping[str, object]:
    return _decide(c, a, granting=True)


def decline_approval(c: Complaint, a: Args) -> Mapping[str, object]:
    return _decide(c, a, granting=False)


# -- escalation (not a state: a boundary event on any open state) -------------------
ESCALATE_GUARDS = (
    needs_text("stage", "the stage that is late"),
    needs_text("action", "the escalation action"),
    Guard("the level must be a whole number >= 0 ('level')", lambda c, a: (a.integer("level") or 0) >= 0
          and a.integer("level") is not None),
)


def escalate(c: Complaint, a: Args) -> Mapping[str, object]:
    record = Escalation(
        stage=a.text("stage") or "",
        level=a.integer("level") or 0,
        action=a.text("action") or "",
        notify=tuple(a.items("notify")),
        at=a.at,
    )
    c.escalations.append(record)
    return {"stage": record.stage, "level": record.level, "action": record.action, "notify": list(record.notify)}


# -- the clock stopped while the complaint waits on someone else ----------------------
NOT_PAUSED = Guard("the clock is paused: resume it first (the complaint waits on someone else; "
                   "its deadlines are held)", lambda c, a: c.paused is None)

PAUSE_GUARDS = (
    needs_text("reason", "what the complaint waits for"),
    Guard("the clock is already paused: resume it before pausing again", lambda c, a: c.paused is None),
    Guard("no running deadline may stop its clock ('stages', from the policy's pause.stages)",
          lambda c, a: bool(a.items("stages"))),
)


def pause(c: Complaint, a: Args) -> Mapping[str, object]:
    record = Pause(round=c.round, reason=a.text("reason") or "", note=a.text("note"), stages=tuple(a.items("stages")),
                   actor=a.actor, at=a.at, cap_ends=a.moment("cap_ends"))
    c.pauses.append(record)
    return {"reason": record.reason, "note": record.note, "stages": list(record.stages),
            "cap_ends": record.cap_ends}


RESUME_GUARDS = (Guard("the clock is not paused", lambda c, a: c.paused is not None),)


def _end_pause(c: Complaint, a: Args) -> Pause | None:
    """Ends the open pause at `a.at`; the held deadlines run again from there."""
    held = c.paused
    if held is None:
        return None
    c.pauses[-1] = replace(held, resumed_at=a.at, resumed_by=a.actor)
    return held


def resume(c: Complaint, a: Args) -> Mapping[str, object]:
    held = _end_pause(c, a)
    assert held is not None  # the guard refused a resume with nothing paused
    return {"reason": held.reason, "paused_at": held.at, "stages": list(held.stages), "note": a.text("note"),
            "by_cap": bool(a.has("by_cap"))}


# -- extensions (延期): asked before the deadline, decided by a leader ------------------
REQUEST_EXTENSION_GUARDS = (
    needs_text("stage", "the stage that needs more time"),
    needs_text("reason", "why more time is needed"),
    Guard("the new due time must be a moment with a time zone ('new_due')",
          lambda c, a: a.moment("new_due") is not None),
    Guard("the stage's current deadline ('due_before', from the policy) is required",
          lambda c, a: a.moment("due_before") is not None),
    Guard("an extension is asked before the deadline, not after it (12345 rules: 延期须在期限届满前申请)",
          lambda c, a: (due := a.moment("due_before")) is None or a.at < due),
    Guard("the new due time must come after the current deadline ('new_due')",
          lambda c, a: (new := a.moment("new_due")) is None or (due := a.moment("due_before")) is None or new > due),
    Guard("an extension of this stage is already waiting for a decision",
          lambda c, a: not any(e.status is ApprovalStatus.PENDING and e.stage == a.text("stage") and e.round == c.round
                               for e in c.extensions)),
)


def request_extension(c: Complaint, a: Args) -> Mapping[str, object]:
    record = Extension(id=len(c.extensions) + 1, stage=a.text("stage") or "", round=c.round,
                       reason=a.text("reason") or "", new_due=a.moment("new_due") or a.at,
                       due_before=a.moment("due_before") or a.at, asked_by=a.actor, asked_at=a.at)
    c.extensions.append(record)
    return {"extension": record.id, "stage": record.stage, "reason": record.reason, "new_due": record.new_due,
            "due_before": record.due_before}


def _pending_extension(c: Complaint, a: Args) -> bool:
    asked = c.extension(a.integer("extension") or 0)
    return asked is not None and asked.status is ApprovalStatus.PENDING


DECIDE_EXTENSION_GUARDS = (
    Guard("'extension' must name an extension waiting for a decision", _pending_extension),
    Guard("an extension is decided by someone other than who asked for it",
          lambda c, a: (asked := c.extension(a.integer("extension") or 0)) is None or asked.asked_by != a.actor),
)


def _decide_extension(c: Complaint, a: Args, status: ApprovalStatus) -> Mapping[str, object]:
    index = next(i for i, e in enumerate(c.extensions) if e.id == a.integer("extension"))
    decided = replace(c.extensions[index], status=status, decided_by=a.actor, decided_at=a.at, note=a.text("note"))
    c.extensions[index] = decided
    return {"extension": decided.id, "stage": decided.stage, "status": str(status), "new_due": decided.new_due,
            "note": decided.note}


def approve_extension(c: Complaint, a: Args) -> Mapping[str, object]:
    return _decide_extension(c, a, ApprovalStatus.GRANTED)


def decline_extension(c: Complaint, a: Args) -> Mapping[str, object]:
    return _decide_extension(c, a, ApprovalStatus.DECLINED)


# -- a promised time, a leader's hand, word of progress (seeds 000, 001, 003) -----------
PROMISE_GUARDS = (
    needs_text("reason", "why it cannot be solved at once (what the complainant was told)"),
    Guard("the promised time must be a moment with a time zone ('promised_for')",
          lambda c, a: a.moment("promised_for") is not None),
    Guard("the promised time must be in the future ('promised_for')",
          lambda c, a: (when := a.moment("promised_for")) is None or when > a.at),
)


def promise(c: Complaint, a: Args) -> Mapping[str, object]:
    record = Promise(id=len(c.promises) + 1, round=c.round, reason=a.text("reason") or "",
                     promised_for=a.moment("promised_for") or a.at, actor=a.actor, at=a.at)
    c.promises.append(record)
    return {"promise": record.id, "reason": record.reason, "promised_for": record.promised_for}


REFER_GUARDS = (
    needs_text("to", "the leader (a person or a role) asked to take a hand"),
    needs_text("reason", "what the leader is asked to decide or do"),
    Guard("nobody holds that role for this complaint ('people')", lambda c, a: bool(a.items("people"))),
    Guard("a referral goes to someone else", lambda c, a: a.items("people") != [a.actor]),
)


def refer(c: Complaint, a: Args) -> Mapping[str, object]:
    record = Referral(id=len(c.referrals) + 1, round=c.round, to=a.text("to") or "", people=tuple(a.items("people")),
                      reason=a.text("reason") or "", actor=a.actor, at=a.at)
    c.referrals.append(record)
    # The first responder stays accountable (首诉负责制): a referral asks for a hand, not a hand-off.
    return {"referral": record.id, "to": record.to, "people": list(record.people), "reason": record.reason,
            "first_responder": c.first_responder}


def _referred_to_actor(c: Complaint, a: Args) -> bool:
    asked = c.referral(a.integer("referral") or 0)
    return asked is not None and asked.answered_at is None and a.actor in asked.people


ANSWER_REFERRAL_GUARDS = (
    Guard("'referral' must name an unanswered referral to you", _referred_to_actor),
    needs_text("answer", "the leader's answer (what was decided or done)"),
)


def answer_referral(c: Complaint, a: Args) -> Mapping[str, object]:
    index = next(i for i, r in enumerate(c.referrals) if r.id == a.integer("referral"))
    answered = replace(c.referrals[index], answered_by=a.actor, answered_at=a.at, answer=a.text("answer"))
    c.referrals[index] = answered
    return {"referral": answered.id, "answer": answered.answer, "asked_at": answered.at}


PROGRESS_GUARDS = (
    needs_choice("channel", Channel, "how the complainant was told"),
    needs_text("text", "what they were told"),
)


def report_progress(c: Complaint, a: Args) -> Mapping[str, object]:
    return {"channel": a.choice("channel", Channel), "text": a.text("text"), "round": c.round}


# -- investigation ------------------------------------------------------------------
FINDINGS_GUARDS = (needs_text("findings", "the findings (what was verified)"),)


def record_findings(c: Complaint, a: Args) -> Mapping[str, object]:
    c.findings.append(Finding(round=c.round, text=a.text("findings") or "", actor=a.actor, at=a.at))
    return {"round": c.round}


REQUEST_EVIDENCE_GUARDS = (needs_text("respondent", "the respondent asked for evidence"),)


def request_evidence(c: Complaint, a: Args) -> Mapping[str, object]:
    c.evidence_outcome = None
    return {"respondent": a.text("respondent")}


RECEIVE_EVIDENCE_GUARDS = (
    Guard("list the evidence received ('items': chat records, call records, courier slips...)",
          lambda c, a: bool(a.items("items"))),
)


def receive_evidence(c: Complaint, a: Args) -> Mapping[str, object]:
    items = a.items("items")
    c.evidence.extend(items)
    c.evidence_outcome = "received"
    return {"items": items}


def evidence_deadline_passed(c: Complaint, a: Args) -> Mapping[str, object]:
    c.evidence_outcome = "deadline_passed"  # decide on what is there
    return {"decide_on": list(c.evidence)}


# -- resolution ---------------------------------------------------------------------
def _approved_for(c: Complaint, a: Args, amount: Decimal) -> Approval | None:
    for approval in c.approvals:
        if (
            approval.status is ApprovalStatus.GRANTED
            and approval.action == "resolve"
            and approval.amount is not None
            and approval.amount >= amount
            and approval.requested_at >= c.round_started_at  # an earlier round's approval does not count
        ):
            return approval
    return None


def _within_authority(c: Complaint, a: Args) -> bool:
    amount = a.amount("compensation")
    if amount is None or amount == 0:
        return True
    limit = a.amount("authority_limit")
    return limit is not None and (amount <= limit or _approved_for(c, a, amount) is not None)


RESOLVE_GUARDS = (
    Guard("no resolution without findings recorded in this round (record_findings first)",
          lambda c, a: bool(c.findings_this_round())),
    needs_choice("resolution", ResolutionKind, "the resolution"),
    needs_text("detail", "what was done"),
    Guard("the compensation must be a non-negative number of yuan ('compensation')",
          lambda c, a: not a.has("compensation") or a.amount("compensation") is not None),
    Guard("the compensation is beyond the resolver's authority ('authority_limit'): "
          "ask a leader to approve it (request_approval with action 'resolve')", _within_authority),
)


def resolve(c: Complaint, a: Args) -> Mapping[str, object]:
    amount = a.amount("compensation")
    limit = a.amount("authority_limit")
    covering = _approved_for(c, a, amount) if amount and (limit is None or amount > limit) else None
    c.resolutions.append(
        Resolution(
            round=c.round,
            kind=a.choice("resolution", ResolutionKind) or "",
            detail=a.text("detail") or "",
            compensation=amount,
            actor=a.actor,
            at=a.at,
            approval_id=covering.id if covering else None,
        )
    )
    return {"resolution": c.resolutions[-1].kind, "compensation": amount,
            "approved_by": covering.approver if covering else None}


FEED_BACK_GUARDS = (needs_choice("channel", Channel, "how the complainant was told"),)


def feed_back(c: Complaint, a: Args) -> Mapping[str, object]:
    c.feedback_channel = a.choice("channel", Channel)
    return {"channel": c.feedback_channel}


# -- revisit (回访), reopen, appeal, close ---------------------------------------------
def _outcome(a: Args) -> str | None:
    return a.choice("outcome", RevisitOutcome)


REVISIT_REACHED = Guard(
    f"the outcome must be one of: {_names(RevisitOutcome)} ('outcome')",
    lambda c, a: _outcome(a) in (RevisitOutcome.SATISFIED, RevisitOutcome.UNSATISFIED),
)
REVISIT_UNREACHED = Guard(
    f"the outcome must be one of: {_names(RevisitOutcome)} ('outcome')",
    lambda c, a: _outcome(a) == RevisitOutcome.UNREACHABLE,
)
ATTEMPTS_LEFT = (
    Guard("every revisit attempt the policy allows has been used: close the complaint",
          lambda c, a: c.unreachable_attempts() < (c.revisit_attempt_limit or 1)),
)


def record_revisit(c: Complaint, a: Args) -> Mapping[str, object]:
    outcome = RevisitOutcome(_outcome(a) or "")
    c.revisits.append(
        RevisitAttempt(round=c.round, outcome=outcome, note=a.text("note"), actor=a.actor, at=a.at)
    )
    return {"outcome": str(outcome), "attempt": len([r for r in c.revisits if r.round == c.round])}


def _last_outcome(c: Complaint) -> RevisitOutcome | None:
    last = c.last_revisit()
    return last.outcome if last else None


REOPEN_GUARDS = (
    Guard("only an unsatisfied revisit reopens a complaint",
          lambda c, a: _last_outcome(c) is RevisitOutcome.UNSATISFIED),
)


def _next_round(c: Complaint, a: Args) -> None:
    c.round += 1
    c.reopen_count += 1
    c.round_started_at = a.at


def reopen(c: Complaint, a: Args) -> Mapping[str, object]:
    _next_round(c, a)
    return {"round": c.round, "reopen_count": c.reopen_count, "reason": a.text("reason")}


APPEAL_GUARDS = (
    needs_text("reason", "the grounds of the appeal"),
    Guard("the appeal window's end ('window_ends', from the policy) is required",
          lambda c, a: a.moment("window_ends") is not None),
    Guard("the appeal window has closed",
          lambda c, a: (end := a.moment("window_ends")) is None or a.at <= end),
)


def appeal(c: Complaint, a: Args) -> Mapping[str, object]:
    _next_round(c, a)
    c.appeal_count += 1
    return {"round": c.round, "appeal_count": c.appeal_count, "reason": a.text("reason")}


def _satisfied_or_decided(c: Complaint, a: Args) -> bool:
    outcome = _last_outcome(c)
    return outcome is RevisitOutcome.SATISFIED or (
        outcome is RevisitOutcome.UNSATISFIED and a.text("final_decision") is not None
    )


CLOSE_AFTER_REVISIT = (
    Guard("no close without a satisfied revisit, or a final decision ('final_decision') "
          "when the complainant stays unsatisfied", _satisfied_or_decided),
)
CLOSE_UNREACHED = (
    Guard("no close without a revisit outcome: the complainant has not been reached and "
          "revisit attempts remain",
          lambda c, a: c.revisit_attempt_limit is not None
          and c.unreachable_attempts() >= c.revisit_attempt_limit),
)


def close(c: Complaint, a: Args) -> Mapping[str, object]:
    c.final_decision = a.text("final_decision")
    last = _last_outcome(c)
    return {"outcome": str(last) if last else None, "final_decision": c.final_decision,
            "rounds": c.round, "bounces": c.bounces}


# -- exits ----------------------------------------------------------------------------
REJECT_GUARDS = (
    needs_choice("reason", RejectReason, "the reason for rejecting"),
    needs_text("note", "an explanation recorded for the complainant"),
)


def reject(c: Complaint, a: Args) -> Mapping[str, object]:
    _end_pause(c, a)
    c.exit_reason = f"{a.text('reason')}: {a.text('note')}"
    return {"reason": a.text("reason"), "note": a.text("note")}


WITHDRAW_GUARDS = (needs_text("reason", "the reason the complainant withdrew"),)


def withdraw(c: Complaint, a: Args) -> Mapping[str, object]:
    _end_pause(c, a)
    c.exit_reason = a.text("reason")
    return {"reason": c.exit_reason}
