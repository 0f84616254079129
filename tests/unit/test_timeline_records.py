"""What the timeline records when a complaint is reclassified, moved to a newer policy, approved
or declined, or appealed: the facts `desk show` prints and analysts export, each as a person
would read it (before and after, who signed, which round)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from states import GuardRefused, fire, receive
from tests.unit.test_first_responsibility import Clock, _assigned

pytestmark = pytest.mark.unit


def test_a_reclassification_records_what_it_was_and_what_it_is() -> None:
    c, clock = _assigned()  # service_attitude, important
    event = fire(c, "reclassify", actor="li-agent", at=clock(), type="unreasonable_fees", tier="general",
                 reason="it is about the fee notice, not the staff")
    assert (c.type, c.tier, c.status) == ("unreasonable_fees", "general", "assigned")
    assert event.name == "Reclassified" and event.data == {
        "before": {"type": "service_attitude", "tier": "important"}, "type": "unreasonable_fees",
        "tier": "general", "reason": "it is about the fee notice, not the staff"}
    # Only the tier: the type stays.
    fire(c, "reclassify", actor="li-agent", at=clock(), tier="important", reason="the owner is a repeat complainant")
    assert (c.type, c.tier) == ("unreasonable_fees", "important")
    # Only the type: the tier stays.
    fire(c, "reclassify", actor="li-agent", at=clock(), type="service_attitude", reason="back again")
    assert (c.type, c.tier) == ("service_attitude", "important")


@pytest.mark.parametrize(
    ("given", "refusal"),
    [({"reason": "x"}, "give a new 'type' or 'tier'"),
     ({"tier": "critical", "reason": "x"}, "the tier must be one of: urgent, important, general"),
     ({"tier": "general"}, "a reason for reclassifying")],
)
def test_a_reclassification_needs_something_new_and_a_reason(given: dict[str, str], refusal: str) -> None:
    c, clock = _assigned()
    with pytest.raises(GuardRefused, match=refusal):
        fire(c, "reclassify", actor="li-agent", at=clock(), **given)
    assert (c.type, c.tier, len(c.events)) == ("service_attitude", "important", 3)


def test_a_newer_policy_applied_by_a_manager_is_recorded_with_the_version_it_replaced() -> None:
    c, clock = _assigned()  # classified under 2026.11-1 with 2 revisit attempts
    event = fire(c, "reapply_policy", actor="ma-jing", at=clock(), policy_version="2026.12-1", revisit_attempts=4)
    assert (c.policy_version, c.revisit_attempt_limit, c.status) == ("2026.12-1", 4, "assigned")
    assert event.name == "PolicyReapplied"
    assert event.data == {"before": "2026.11-1", "policy_version": "2026.12-1", "revisit_attempts": 4}
    with pytest.raises(GuardRefused, match="already follows that version"):
        fire(c, "reapply_policy", actor="ma-jing", at=clock(), policy_version="2026.12-1", revisit_attempts=4)
    with pytest.raises(GuardRefused, match="revisit attempts must be a positive number"):
        fire(c, "reapply_policy", actor="ma-jing", at=clock(), policy_version="2027.01-1", revisit_attempts=0)
    assert c.policy_version == "2026.12-1"


def test_a_declined_approval_is_final_and_its_decision_is_on_record() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
         approver="chen-head", cosigner="zhou-duty")
    declined_at = clock()
    event = fire(c, "decline_approval", actor="zhou-duty", at=declined_at, approval=1, note="our pipe? prove it")
    approval = c.approvals[0]
    assert (approval.status, approval.signed_by, approval.note, approval.decided_at) == (
        "declined", (), "our pipe? prove it", declined_at)
    assert event.data == {"approval": 1, "action": "resolve", "amount": 300, "approver": "chen-head",
                          "cosigner": "zhou-duty", "signed_by": [], "status": "declined"}
    # Either decider stops it, and nobody signs a declined approval afterwards.
    with pytest.raises(GuardRefused, match="pending approval asked of you"):
        fire(c, "approve", actor="chen-head", at=clock(), approval=1)
    with pytest.raises(GuardRefused, match="beyond the resolver's authority"):
        fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="x",
             compensation=300, authority_limit=50)


def test_a_joint_approval_records_each_signature_and_is_decided_at_the_last() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
         approver="chen-head", cosigner="zhou-duty")
    first = fire(c, "approve", actor="chen-head", at=clock(), approval=1, note="agreed")
    assert first.data["status"] == "pending" and first.data["signed_by"] == ["chen-head"]
    assert c.approvals[0].decided_at is None and c.approvals[0].note == "agreed"
    granted_at = clock()
    last = fire(c, "approve", actor="zhou-duty", at=granted_at, approval=1)
    assert last.data["status"] == "granted" and last.data["signed_by"] == ["chen-head", "zhou-duty"]
    assert (c.approvals[0].decided_at, c.approvals[0].note) == (granted_at, "agreed")  # a silent signature keeps it


def test_an_approval_among_several_is_decided_by_its_own_number() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=100, approver="chen-head")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300, approver="chen-head")
    fire(c, "approve", actor="chen-head", at=clock(), approval=2)
    assert [a.status for a in c.approvals] == ["pending", "granted"]
    with pytest.raises(GuardRefused, match="pending approval asked of you"):
        fire(c, "approve", actor="chen-head", at=clock(), approval=3)  # no such approval


def test_an_appeal_on_the_last_moment_of_its_window_opens_a_new_round() -> None:
    c, clock = _assigned(family="enterprise")
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="f")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="explanation", detail="d")
    decided = clock()
    fire(c, "feed_back", actor="li-agent", at=decided, channel="app")
    ends = decided + timedelta(days=15)
    with pytest.raises(GuardRefused, match="the grounds of the appeal"):
        fire(c, "appeal", actor="li-agent", at=ends, window_ends=ends)
    with pytest.raises(GuardRefused, match="appeal window's end"):
        fire(c, "appeal", actor="li-agent", at=ends, reason="unfair")
    event = fire(c, "appeal", actor="li-agent", at=ends, reason="the seller lied", window_ends=ends)
    assert event.data == {"round": 2, "appeal_count": 1, "reason": "the seller lied"}
    assert (c.status, c.round, c.round_started_at, c.appeal_count) == ("assigned", 2, ends, 1)


def test_a_burst_pipe_timeline_reads_step_by_step_through_a_second_round() -> None:
    """Every event of a property complaint, as `desk show` lists them: who moved it from where to
    where, and the facts of the step (the crew sent, the hand-off and its bounce, the attempt)."""
    clock = Clock()
    c = receive(number="TS-2026-000009", family="property", first_responder="li-agent",
                received_at=clock.now, channel="phone")
    fire(c, "dispatch", actor="li-agent", at=clock(), tier="urgent", crew="plumber on duty")
    fire(c, "classify", actor="li-agent", at=clock(), type="burst_pipe", tier="urgent", responsibility="own",
         policy_version="2026.11-1", revisit_attempts=3)
    fire(c, "assign", actor="li-agent", at=clock(), handler="wang-maint", department="maintenance")
    fire(c, "hand_off", actor="wang-maint", at=clock(), to="zhao-plumb", department="maintenance",
         reason="needs a plumber")
    fire(c, "hand_off", actor="zhao-plumb", at=clock(), to="wang-maint", department="maintenance",
         reason="a fitting, not a pipe")
    fire(c, "escalate", actor="desk", at=clock(), stage="resolve", level=1, action="reminder", notify=["wang-maint"])
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="riser joint cracked")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="repair", detail="joint replaced")
    fire(c, "feed_back", actor="li-agent", at=clock(), channel="phone")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unreachable")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unsatisfied", note="ceiling still wet")
    fire(c, "reopen", actor="li-agent", at=clock(), reason="ceiling still wet")
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="second leak upstairs")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="repair", detail="upstairs joint replaced")
    fire(c, "feed_back", actor="li-agent", at=clock(), channel="sms")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="satisfied")
    fire(c, "close", actor="li-agent", at=clock())
    handed = {"department": "maintenance", "first_responder": "li-agent"}
    assert [(e.name, e.actor, e.source, e.dest, e.data) for e in c.events] == [
        ("Received", "li-agent", None, "received", {"channel": "phone"}),
        ("Dispatched", "li-agent", "received", "dispatched", {"crew": "plumber on duty", "tier": "urgent"}),
        ("Classified", "li-agent", "dispatched", "classified",
         {"type": "burst_pipe", "tier": "urgent", "responsibility": "own", "policy_version": "2026.11-1"}),
        ("Assigned", "li-agent", "classified", "assigned",
         {"handler": "wang-maint", "department": "maintenance", "bounce": False}),
        ("HandedOff", "wang-maint", "assigned", "assigned",
         {"from": "wang-maint", "to": "zhao-plumb", **handed, "reason": "needs a plumber", "bounce": False}),
        ("HandedOff", "zhao-plumb", "assigned", "assigned",  # back to one who held it: a bounce (推诿)
         {"from": "zhao-plumb", "to": "wang-maint", **handed, "reason": "a fitting, not a pipe", "bounce": True}),
        ("Escalated", "desk", "assigned", "assigned",
         {"stage": "resolve", "level": 1, "action": "reminder", "notify": ["wang-maint"]}),
        ("FindingsRecorded", "wang-maint", "assigned", "investigated", {"round": 1}),
        ("Resolved", "wang-maint", "investigated", "resolved",
         {"resolution": "repair", "compensation": None, "approved_by": None}),
        ("FedBack", "li-agent", "resolved", "fed_back", {"channel": "phone"}),
        ("RevisitUnreached", "li-agent", "fed_back", "fed_back", {"outcome": "unreachable", "attempt": 1}),
        ("Revisited", "li-agent", "fed_back", "revisited", {"outcome": "unsatisfied", "attempt": 2}),
        ("Reopened", "li-agent", "revisited", "assigned",
         {"round": 2, "reopen_count": 1, "reason": "ceiling still wet"}),
        ("FindingsRecorded", "wang-maint", "assigned", "investigated", {"round": 2}),
        ("Resolved", "wang-maint", "investigated", "resolved",
         {"resolution": "repair", "compensation": None, "approved_by": None}),
        ("FedBack", "li-agent", "resolved", "fed_back", {"channel": "sms"}),
        ("Revisited", "li-agent", "fed_back", "revisited", {"outcome": "satisfied", "attempt": 1}),  # a new round
        ("Closed", "li-agent", "revisited", "closed",
         {"outcome": "satisfied", "final_decision": None, "rounds": 2, "bounces": 1}),
    ]
    assert (c.handler, c.department, c.dispatched_crew, c.bounces) == ("wang-maint", "maintenance",
                                                                      "plumber on duty", 1)
    # The assignment is the first hand-off: from the first responder to the handler.
    assert [(h.from_handler, h.to_handler, h.bounce) for h in c.handoffs] == [
        ("li-agent", "wang-maint", False), ("wang-maint", "zhao-plumb", False), ("zhao-plumb", "wang-maint", True)]


def test_an_enterprise_timeline_records_the_evidence_and_a_withdrawal() -> None:
    clock = Clock()
    c = receive(number="TS-2026-000010", family="enterprise", first_responder="kf-xiao",
                received_at=clock.now, channel="app")
    fire(c, "classify", actor="kf-xiao", at=clock(), type="product_quality", tier="important",
         responsibility="third_party", policy_version="2026.11-1", revisit_attempts=2)
    fire(c, "assign", actor="kf-xiao", at=clock(), handler="as-lin", department="after_sales")
    fire(c, "request_evidence", actor="as-lin", at=clock(), respondent="seller shop 5581")
    fire(c, "receive_evidence", actor="as-lin", at=clock(), items=["invoice", "video"])
    fire(c, "record_findings", actor="as-lin", at=clock(), findings="drum seal defect")
    fire(c, "resolve", actor="as-lin", at=clock(), resolution="refund", detail="full refund")
    fire(c, "feed_back", actor="kf-xiao", at=clock(), channel="app")
    fire(c, "withdraw", actor="kf-xiao", at=clock(), reason="buyer happy")
    assert [(e.name, e.source, e.dest, e.data) for e in c.events][3:5] == [
        ("EvidenceRequested", "assigned", "awaiting_evidence", {"respondent": "seller shop 5581"}),
        ("EvidenceReceived", "awaiting_evidence", "assigned", {"items": ["invoice", "video"]}),
    ]
    assert (c.evidence, c.evidence_outcome) == (["invoice", "video"], "received")
    assert (c.events[-1].name, c.events[-1].data, c.status) == ("Withdrawn", {"reason": "buyer happy"}, "withdrawn")
    assert c.exit_reason == "buyer happy"


def test_a_rejection_keeps_its_reason_and_the_note_that_explains_it() -> None:
    c, clock = _assigned()
    event = fire(c, "reject", actor="li-agent", at=clock(), reason="malicious", note="demanded 10,000 yuan")
    assert (c.status, c.exit_reason) == ("rejected", "malicious: demanded 10,000 yuan")
    assert (event.name, event.data) == ("Rejected", {"reason": "malicious", "note": "demanded 10,000 yuan"})


def test_an_approval_asked_for_says_what_for_how_much_and_of_whom() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    asked_at = clock()
    event = fire(c, "request_approval", actor="wang-maint", at=asked_at, action="resolve", amount=300,
                 approver="chen-head")
    assert event.data == {"approval": 1, "action": "resolve", "amount": 300, "approver": "chen-head",
                          "cosigner": None}
    approval = c.approvals[0]
    assert (approval.action, approval.amount, approval.requested_by, approval.approver, approval.requested_at,
            approval.status) == ("resolve", 300, "wang-maint", "chen-head", asked_at, "pending")


def test_compensation_within_ones_own_authority_leaves_a_leaders_approval_unused() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300, approver="chen-head")
    fire(c, "approve", actor="chen-head", at=clock(), approval=1)
    event = fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="a small refund",
                 compensation=30, authority_limit=50)
    assert event.data == {"resolution": "compensation", "compensation": 30, "approved_by": None}
    assert c.resolutions[-1].approval_id is None and c.resolutions[-1].compensation == 30


@pytest.mark.parametrize(
    ("trigger", "given", "refusal"),
    [("record_findings", {}, "the findings"),
     ("decline_approval", {"approval": 1}, "why it is declined"),
     ("request_approval", {"action": "resolve", "amount": 80, "approver": "wang-maint"},
      "an approval must be asked of someone else"),
     ("escalate", {"stage": "resolve", "action": "reminder", "level": True}, "the level must be a whole number"),
     ("escalate", {"stage": "resolve", "action": "reminder", "level": "2"}, "the level must be a whole number")],
)
def test_steps_missing_what_they_record_are_refused_saying_what_is_missing(
        trigger: str, given: dict[str, object], refusal: str) -> None:
    c, clock = _assigned()
    if trigger == "decline_approval":
        fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=80, approver="chen-head")
    before = c.snapshot()
    actor = "chen-head" if trigger == "decline_approval" else "wang-maint"
    with pytest.raises(GuardRefused, match=refusal):
        fire(c, trigger, actor=actor, at=clock(), **given)
    assert c.snapshot() == before


def test_evidence_is_received_only_with_the_items() -> None:
    c, clock = _assigned(family="enterprise")
    fire(c, "request_evidence", actor="wang-maint", at=clock(), respondent="seller shop 5581")
    with pytest.raises(GuardRefused, match="list the evidence received"):
        fire(c, "receive_evidence", actor="wang-maint", at=clock())
    assert c.status == "awaiting_evidence" and c.evidence == []


def test_a_complaint_begins_with_its_receipt() -> None:
    clock = Clock()
    c = receive(number="TS-2026-000012", family="property", first_responder="li-agent", received_at=clock.now,
                channel="counter")
    (first,) = c.events
    assert (first.name, first.trigger, first.data, c.feedback_channel) == ("Received", "receive",
                                                                          {"channel": "counter"}, None)
    with pytest.raises(ValueError, match="must carry a time zone"):
        receive(number="TS-2026-000013", family="property", first_responder="li-agent",
                received_at=clock.now.replace(tzinfo=None), channel="counter")
