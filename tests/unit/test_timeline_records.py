"""What the timeline records when a complaint is reclassified, moved to a newer policy, approved
or declined, or appealed: the facts `desk show` prints and analysts export, each as a person
would read it (before and after, who signed, which round)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from states import GuardRefused, fire
from tests.unit.test_first_responsibility import _assigned

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
