"""Each family's machine as data: its states and moves over the shared lifecycle.

received → classified → assigned → investigated → resolved → fed_back → revisited → closed,
with reopen (unsatisfied revisit → assigned), reject and withdraw as terminal exits, and:
- property (物业): an emergency dispatch before classification for urgent cases (电梯困人,
  水管爆裂: "安排维修人员赶赴现场进行抢修", seed 001);
- enterprise (企业/平台): waiting for the respondent's evidence inside investigation
  (被投诉人须在被投诉之日起三天内提交证据, seed 001) and appeal (申诉, seed 000).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from states import rules
from states.moves import Move
from states.vocabulary import Family

RECEIVED, CLASSIFIED, ASSIGNED = "received", "classified", "assigned"
INVESTIGATED, RESOLVED, FED_BACK, REVISITED = "investigated", "resolved", "fed_back", "revisited"
CLOSED, REJECTED, WITHDRAWN = "closed", "rejected", "withdrawn"
DISPATCHED = "dispatched"  # property only
AWAITING_EVIDENCE = "awaiting_evidence"  # enterprise only

TERMINAL = (CLOSED, REJECTED, WITHDRAWN)
BASE_STATES = (RECEIVED, CLASSIFIED, ASSIGNED, INVESTIGATED, RESOLVED, FED_BACK, REVISITED, *TERMINAL)


def _base_moves(before_classification: tuple[str, ...], investigating: tuple[str, ...]) -> list[Move]:
    """The shared lifecycle. `investigating` lists the states in which a handler works the case."""
    classified_open = (CLASSIFIED, *investigating, INVESTIGATED, RESOLVED, FED_BACK, REVISITED)
    every_open = (*before_classification, *classified_open)
    before_resolution = (*before_classification, CLASSIFIED, *investigating, INVESTIGATED)
    return [
        Move("classify", before_classification, CLASSIFIED, "Classified", rules.CLASSIFY_GUARDS,
             effect=rules.classify),
        Move("reclassify", (CLASSIFIED, *investigating, INVESTIGATED), None, "Reclassified",
             rules.RECLASSIFY_GUARDS, effect=rules.reclassify),
        Move("reapply_policy", classified_open, None, "PolicyReapplied", rules.REAPPLY_GUARDS,
             effect=rules.reapply_policy),
        Move("assign", (CLASSIFIED,), ASSIGNED, "Assigned", rules.ASSIGN_GUARDS, effect=rules.assign),
        Move("hand_off", (*investigating, INVESTIGATED), None, "HandedOff", rules.HAND_OFF_GUARDS,
             effect=rules.hand_off),
        Move("request_approval", classified_open, None, "ApprovalRequested",
             rules.REQUEST_APPROVAL_GUARDS, effect=rules.request_approval),
        Move("approve", classified_open, None, "Approved", rules.DECIDE_GUARDS, effect=rules.approve),
        Move("decline_approval", classified_open, None, "ApprovalDeclined",
             (*rules.DECIDE_GUARDS, rules.needs_text("note", "why it is declined")),
             effect=rules.decline_approval),
        Move("escalate", every_open, None, "Escalated", rules.ESCALATE_GUARDS, effect=rules.escalate),
        Move("record_findings", (ASSIGNED,), INVESTIGATED, "FindingsRecorded", rules.FINDINGS_GUARDS,
             effect=rules.record_findings),
        Move("record_findings", (INVESTIGATED,), None, "FindingsRecorded", rules.FINDINGS_GUARDS,
             effect=rules.record_findings),
        Move("resolve", (INVESTIGATED,), RESOLVED, "Resolved", rules.RESOLVE_GUARDS, effect=rules.resolve),
        Move("feed_back", (RESOLVED,), FED_BACK, "FedBack", rules.FEED_BACK_GUARDS, effect=rules.feed_back),
        Move("record_revisit", (FED_BACK,), REVISITED, "Revisited", when=rules.REVISIT_REACHED,
             effect=rules.record_revisit),
        Move("record_revisit", (FED_BACK,), None, "RevisitUnreached", rules.ATTEMPTS_LEFT,
             when=rules.REVISIT_UNREACHED, effect=rules.record_revisit),
        Move("reopen", (REVISITED,), ASSIGNED, "Reopened", rules.REOPEN_GUARDS, effect=rules.reopen),
        Move("close", (REVISITED,), CLOSED, "Closed", rules.CLOSE_AFTER_REVISIT, effect=rules.close),
        Move("close", (FED_BACK,), CLOSED, "Closed", rules.CLOSE_UNREACHED, effect=rules.close),
        Move("reject", before_resolution, REJECTED, "Rejected", rules.REJECT_GUARDS, effect=rules.reject),
        Move("withdraw", every_open, WITHDRAWN, "Withdrawn", rules.WITHDRAW_GUARDS, effect=rules.withdraw),
        Move("pause", (CLASSIFIED, *investigating, INVESTIGATED, RESOLVED), None, "Paused", rules.PAUSE_GUARDS,
             effect=rules.pause),
        Move("resume", (CLASSIFIED, *investigating, INVESTIGATED, RESOLVED), None, "Resumed", rules.RESUME_GUARDS,
             effect=rules.resume),
        Move("request_extension", (CLASSIFIED, *investigating, INVESTIGATED, RESOLVED), None, "ExtensionRequested",
             rules.REQUEST_EXTENSION_GUARDS, effect=rules.request_extension),
        Move("approve_extension", classified_open, None, "ExtensionApproved", rules.DECIDE_EXTENSION_GUARDS,
             effect=rules.approve_extension),
        Move("promise", (CLASSIFIED, *investigating, INVESTIGATED, RESOLVED), None, "Promised", rules.PROMISE_GUARDS,
             effect=rules.promise),
        Move("refer", every_open, None, "Referred", rules.REFER_GUARDS, effect=rules.refer),
        Move("answer_referral", every_open, None, "ReferralAnswered", rules.ANSWER_REFERRAL_GUARDS,
             effect=rules.answer_referral),
        Move("report_progress", (CLASSIFIED, *investigating, INVESTIGATED, RESOLVED), None, "ProgressReported",
             rules.PROGRESS_GUARDS, effect=rules.report_progress),
        Move("decline_extension", classified_open, None, "ExtensionDeclined",
             (*rules.DECIDE_EXTENSION_GUARDS, rules.needs_text("note", "why it is declined")),
             effect=rules.decline_extension),
    ]


# A paused complaint keeps its state: no stage may start or end while its clock is stopped. It may
# still leave the lifecycle (rejected, withdrawn), which ends the pause.
EXITS_WHILE_PAUSED = ("reject", "withdraw")


def _held_while_paused(moves: list[Move]) -> list[Move]:
    return [replace(m, guards=(rules.NOT_PAUSED, *m.guards))
            if m.dest is not None and m.trigger not in EXITS_WHILE_PAUSED else m for m in moves]


def _property_moves() -> list[Move]:
    moves = _base_moves(before_classification=(RECEIVED, DISPATCHED), investigating=(ASSIGNED,))
    moves.append(
        Move("dispatch", (RECEIVED,), DISPATCHED, "Dispatched", rules.DISPATCH_GUARDS, effect=rules.dispatch)
    )
    return _held_while_paused(moves)


def _enterprise_moves() -> list[Move]:
    moves = _base_moves(before_classification=(RECEIVED,), investigating=(ASSIGNED, AWAITING_EVIDENCE))
    moves += [
        Move("request_evidence", (ASSIGNED,), AWAITING_EVIDENCE, "EvidenceRequested",
             rules.REQUEST_EVIDENCE_GUARDS, effect=rules.request_evidence),
        Move("receive_evidence", (AWAITING_EVIDENCE,), ASSIGNED, "EvidenceReceived",
             rules.RECEIVE_EVIDENCE_GUARDS, effect=rules.receive_evidence),
        Move("evidence_deadline_passed", (AWAITING_EVIDENCE,), ASSIGNED, "EvidenceDeadlinePassed",
             effect=rules.evidence_deadline_passed),
        Move("appeal", (FED_BACK, REVISITED), ASSIGNED, "Appealed", rules.APPEAL_GUARDS, effect=rules.appeal),
    ]
    return _held_while_paused(moves)


FAMILY_STATES: Mapping[Family, tuple[str, ...]] = {
    Family.PROPERTY: (RECEIVED, DISPATCHED, *BASE_STATES[1:]),
    Family.ENTERPRISE: (*BASE_STATES[:3], AWAITING_EVIDENCE, *BASE_STATES[3:]),
}
FAMILY_MOVES: Mapping[Family, tuple[Move, ...]] = {
    Family.PROPERTY: tuple(_property_moves()),
    Family.ENTERPRISE: tuple(_enterprise_moves()),
}
