"""首诉负责制 and the guards a real desk needs, on one property and one enterprise complaint."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from states import (
    Complaint,
    ComplaintError,
    DirectStateWrite,
    FirstResponsibilityViolation,
    GuardRefused,
    TriggerNotAllowed,
    fire,
    receive,
)
from tests.support import at

pytestmark = pytest.mark.unit

T0 = at("2026-11-23 09:00")


class Clock:
    """Each step a minute later, so timelines read in order."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _assigned(family: str = "property", handler: str = "wang-maint") -> tuple[Complaint, Clock]:
    clock = Clock()
    c = receive(number="TS-2026-000001", family=family, first_responder="li-agent", received_at=T0, channel="phone")
    fire(c, "classify", actor="li-agent", at=clock(), type="service_attitude", tier="important",
         responsibility="own", policy_version="2026.11-1", revisit_attempts=2)
    fire(c, "assign", actor="li-agent", at=clock(), handler=handler, department="customer_service")
    return c, clock


def test_an_invalid_trigger_names_the_state_and_the_triggers_allowed_there() -> None:
    c = receive(number="TS-2026-000002", family="property", first_responder="li-agent", received_at=T0,
                channel="counter")
    with pytest.raises(TriggerNotAllowed) as refused:
        fire(c, "close", actor="li-agent", at=T0)
    message = str(refused.value)
    assert "TS-2026-000002 is 'received'" in message
    assert "allowed: classify, escalate, reject, withdraw, refer, answer_referral, dispatch" in message
    assert c.status == "received" and len(c.events) == 1


def test_an_unknown_trigger_is_refused_the_same_way() -> None:
    c, clock = _assigned()
    with pytest.raises(TriggerNotAllowed, match="'to_closed' is not allowed there"):
        fire(c, "to_closed", actor="li-agent", at=clock())


def test_the_first_responder_is_fixed_at_receipt() -> None:
    c, _ = _assigned()
    with pytest.raises(FirstResponsibilityViolation, match="is li-agent and cannot become boss"):
        c.first_responder = "boss"
    assert c.first_responder == "li-agent"


def test_status_only_moves_through_triggers() -> None:
    c, _ = _assigned()
    with pytest.raises(DirectStateWrite):
        c.status = "closed"
    assert c.status == "assigned"


def test_hand_offs_are_recorded_and_a_hand_back_counts_as_a_bounce() -> None:
    c, clock = _assigned()
    fire(c, "hand_off", actor="wang-maint", at=clock(), to="zhao-finance", department="finance",
         reason="the fee dispute is a billing question")
    event = fire(c, "hand_off", actor="zhao-finance", at=clock(), to="wang-maint", reason="not ours")
    assert [(h.from_handler, h.to_handler, h.bounce) for h in c.handoffs] == [
        ("li-agent", "wang-maint", False),
        ("wang-maint", "zhao-finance", False),
        ("zhao-finance", "wang-maint", True),
    ]
    assert c.bounces == 1 and event.data["bounce"] is True
    assert event.data["first_responder"] == "li-agent"  # the owner never changes
    assert c.first_responder == "li-agent" and c.handler == "wang-maint"


def test_handing_back_to_the_first_responder_is_a_bounce_too() -> None:
    c, clock = _assigned()
    fire(c, "hand_off", actor="wang-maint", at=clock(), to="li-agent", reason="please handle it yourself")
    assert c.handoffs[-1].bounce


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"reason": "x"}, "a hand-off target is required ('to')"),
        ({"to": "zhao"}, "why the complaint is handed off is required ('reason')"),
        ({"to": "wang-maint", "reason": "x"}, "the complaint is already with that handler"),
    ],
)
def test_no_hand_off_without_a_target_and_a_reason(kwargs: dict[str, str], reason: str) -> None:
    c, clock = _assigned()
    with pytest.raises(GuardRefused, match="'hand_off' refused") as refused:
        fire(c, "hand_off", actor="wang-maint", at=clock(), **kwargs)
    assert reason in refused.value.reasons
    assert len(c.handoffs) == 1


def test_no_resolve_without_findings() -> None:
    c, clock = _assigned()
    with pytest.raises(TriggerNotAllowed):
        fire(c, "resolve", actor="wang-maint", at=clock(), resolution="apology", detail="sorry")
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="the guard was rude on 11-22")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="apology", detail="apologised in person")
    assert c.status == "resolved"


def test_compensation_beyond_authority_needs_an_approval_recorded_against_the_approver() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="water damage from our pipe")
    with pytest.raises(GuardRefused, match="beyond the resolver's authority"):
        fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="repaint",
             compensation=300, authority_limit=50)
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
         approver="chen-head")
    with pytest.raises(GuardRefused, match="pending approval asked of you"):
        fire(c, "approve", actor="wang-maint", at=clock(), approval=1)  # nobody approves their own
    fire(c, "approve", actor="chen-head", at=clock(), approval=1, note="pay it")
    event = fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="repaint",
                 compensation=300, authority_limit=50)
    assert c.approvals[0].approver == "chen-head" and c.approvals[0].status == "granted"
    assert c.resolutions[-1].approval_id == 1 and c.resolutions[-1].compensation == Decimal(300)
    assert event.data["approved_by"] == "chen-head"


def test_an_approval_for_less_does_not_cover_more() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=100, approver="chen")
    fire(c, "approve", actor="chen", at=clock(), approval=1)
    with pytest.raises(GuardRefused):
        fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="x",
             compensation=300, authority_limit=50)


def test_a_reopened_complaint_needs_a_new_approval_for_the_same_compensation() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="water damage from our pipe")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
         approver="chen-head")
    fire(c, "approve", actor="chen-head", at=clock(), approval=1)
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="repaint",
         compensation=300, authority_limit=50)
    fire(c, "feed_back", actor="li-agent", at=clock(), channel="phone")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unsatisfied")
    fire(c, "reopen", actor="li-agent", at=clock(), reason="the stain came back")
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="the pipe still leaks")
    # Round 2: last round's 300 yuan were approved for last round's resolution, not this one.
    with pytest.raises(GuardRefused, match="beyond the resolver's authority"):
        fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="repaint again",
             compensation=300, authority_limit=50)
    assert c.status == "investigated" and len(c.resolutions) == 1
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
         approver="chen-head")
    fire(c, "approve", actor="chen-head", at=clock(), approval=2)
    event = fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="repaint again",
                 compensation=300, authority_limit=50)
    assert c.resolutions[-1].approval_id == 2 and event.data["approved_by"] == "chen-head"


@pytest.mark.parametrize("trigger", ["reject", "withdraw"])
def test_no_reject_or_withdraw_without_a_reason(trigger: str) -> None:
    c, clock = _assigned()
    with pytest.raises(GuardRefused, match="reason"):
        fire(c, trigger, actor="li-agent", at=clock())
    assert c.status == "assigned"


def test_reject_needs_one_of_the_known_reasons_and_an_explanation() -> None:
    c, clock = _assigned()
    with pytest.raises(GuardRefused) as refused:
        fire(c, "reject", actor="li-agent", at=clock(), reason="annoying")
    assert "the reason for rejecting must be one of: not_accepted, malicious, outside_filing_window ('reason')" in (
        refused.value.reasons
    )
    fire(c, "reject", actor="li-agent", at=clock(), reason="malicious", note="demanded 10,000 yuan to delete posts")
    assert c.status == "rejected" and c.exit_reason.startswith("malicious")


def test_no_close_without_a_revisit_outcome() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="f")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="apology", detail="d")
    fire(c, "feed_back", actor="li-agent", at=clock(), channel="phone")
    with pytest.raises(GuardRefused, match="revisit attempts remain"):
        fire(c, "close", actor="li-agent", at=clock())


def test_close_after_the_revisit_attempts_are_exhausted() -> None:
    c, clock = _assigned()  # the policy allowed 2 attempts
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="f")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="apology", detail="d")
    fire(c, "feed_back", actor="li-agent", at=clock(), channel="sms")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unreachable")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unreachable")
    with pytest.raises(GuardRefused, match="every revisit attempt"):
        fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unreachable")
    fire(c, "close", actor="li-agent", at=clock())
    assert c.status == "closed" and c.unreachable_attempts() == 2


def test_an_unsatisfied_complainant_is_closed_only_with_a_final_decision() -> None:
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="f")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="explanation", detail="fees follow the contract")
    fire(c, "feed_back", actor="li-agent", at=clock(), channel="in_person")
    fire(c, "record_revisit", actor="li-agent", at=clock(), outcome="unsatisfied")
    with pytest.raises(GuardRefused, match="final decision"):
        fire(c, "close", actor="li-agent", at=clock())
    fire(c, "close", actor="li-agent", at=clock(), final_decision="fees stand per the 2025 contract, clause 4")
    assert c.final_decision is not None and c.status == "closed"


def test_emergency_dispatch_is_only_for_urgent_complaints() -> None:
    c = receive(number="TS-2026-000003", family="property", first_responder="li-agent", received_at=T0,
                channel="phone")
    with pytest.raises(GuardRefused, match="only for urgent complaints"):
        fire(c, "dispatch", actor="li-agent", at=T0, tier="general", crew="cleaner")


def test_triggers_need_an_actor_and_an_aware_time() -> None:
    c, clock = _assigned()
    with pytest.raises(ComplaintError, match="needs an actor"):
        fire(c, "escalate", actor=" ", at=clock(), stage="resolve", level=1, action="reminder")
    with pytest.raises(ComplaintError, match="time-zone-aware"):
        fire(c, "escalate", actor="desk", at=datetime(2026, 11, 23, 9, 0), stage="resolve", level=1,
             action="reminder")


def test_escalation_is_recorded_without_leaving_the_state() -> None:
    c, clock = _assigned()
    event = fire(c, "escalate", actor="desk", at=clock(), stage="resolve", level=2, action="overdue_notice",
                 notify=["wang-maint", "li-agent", "chen-head"])
    assert c.status == "assigned" and event.source == event.dest == "assigned"
    assert c.escalations[-1].notify == ("wang-maint", "li-agent", "chen-head")


def test_an_appeal_after_the_window_is_refused() -> None:
    c, clock = _assigned(family="enterprise")
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="f")
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="explanation", detail="d")
    decided = clock()
    fire(c, "feed_back", actor="li-agent", at=decided, channel="app")
    with pytest.raises(GuardRefused, match="the appeal window has closed"):
        fire(c, "appeal", actor="li-agent", at=decided + timedelta(days=20), reason="unfair",
             window_ends=decided + timedelta(days=15))
    fire(c, "appeal", actor="li-agent", at=decided + timedelta(days=3), reason="unfair",
         window_ends=decided + timedelta(days=15))
    assert c.status == "assigned" and c.appeal_count == 1 and c.round == 2


def test_an_urgent_property_complaint_is_dispatched_before_it_is_classified() -> None:
    c = receive(number="TS-2026-000004", family="property", first_responder="li-agent", received_at=T0,
                channel="phone")
    with pytest.raises(GuardRefused, match="gets emergency dispatch first"):
        fire(c, "classify", actor="li-agent", at=T0, type="burst_pipe", tier="urgent", responsibility="own",
             policy_version="2026.11-1", revisit_attempts=3)
    fire(c, "dispatch", actor="li-agent", at=T0, tier="urgent", crew="plumber on duty")
    fire(c, "classify", actor="li-agent", at=T0, type="burst_pipe", tier="urgent", responsibility="own",
         policy_version="2026.11-1", revisit_attempts=3)
    assert c.status == "classified"


def test_an_amount_decided_together_needs_both_signatures() -> None:
    """Seed 001 三级投诉: 50-500 yuan by the provincial supervisor together with the office manager (会同)."""
    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    with pytest.raises(GuardRefused, match="a co-signer must be a third person"):
        fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
             approver="chen-head", cosigner="chen-head")
    fire(c, "request_approval", actor="wang-maint", at=clock(), action="resolve", amount=300,
         approver="chen-head", cosigner="zhou-duty")
    fire(c, "approve", actor="chen-head", at=clock(), approval=1)
    assert c.approvals[0].status == "pending" and c.approvals[0].signed_by == ("chen-head",)
    with pytest.raises(GuardRefused, match="that you have not signed"):
        fire(c, "approve", actor="chen-head", at=clock(), approval=1)
    with pytest.raises(GuardRefused, match="beyond the resolver's authority"):
        fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="x",
             compensation=300, authority_limit=50)
    fire(c, "approve", actor="zhou-duty", at=clock(), approval=1)
    assert c.approvals[0].status == "granted"
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="x",
         compensation=300, authority_limit=50)
