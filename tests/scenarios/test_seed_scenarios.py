"""Cases replayed from the seed documents, on the shipped policies.

Each test names its seed file in ../shared/seeds. The complaint moves through the real
machine; its deadlines come from the real policy and calendar; the stage report replays
its events to say which deadlines were met. Times are Shanghai wall-clock times.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from policies import Policy, limit_of
from policies.tracking import stage_report
from states import Complaint, GuardRefused, fire, receive
from tests.support import at

pytestmark = pytest.mark.scenario


def _classify(policy: Policy, c: Complaint, actor: str, when: datetime, type_key: str, **extra: Any) -> None:
    """Classification as the desk does it: the policy gives the tier, its version and revisit attempts."""
    tier = extra.pop("tier", policy.type(type_key).tier)
    fire(c, "classify", actor=actor, at=when, type=type_key, tier=tier,
         responsibility=extra.pop("responsibility", "own"), policy_version=policy.version,
         revisit_attempts=policy.revisit_attempts(tier))


def _report(policy: Policy, c: Complaint) -> dict[tuple[str, int], tuple[datetime, datetime | None]]:
    return {(s.stage, s.round): (s.due_at, s.met_at) for s in stage_report(policy, c)}


def test_lift_entrapment_on_a_holiday_night(property_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt, 物业: 电梯故障 is 紧急; 安排维修人员赶赴现场进行抢修."""
    received = at("2026-10-02 21:40")  # National Day holiday, at night: urgent runs on the clock
    c = receive(number="TS-2026-000101", family="property", first_responder="agent-zhou",
                received_at=received, channel="phone")
    fire(c, "dispatch", actor="agent-zhou", at=at("2026-10-02 21:43"), tier="urgent",
         crew="lift technician on duty + security guard")
    _classify(property_policy, c, "agent-zhou", at("2026-10-02 21:50"), "lift_entrapment")
    assert property_policy.type("lift_entrapment").route_to == "maintenance"
    fire(c, "assign", actor="agent-zhou", at=at("2026-10-02 21:51"), handler="tech-wu", department="maintenance")
    fire(c, "record_findings", actor="tech-wu", at=at("2026-10-02 22:20"),
         findings="door interlock fault; two residents freed 22:05, unhurt")
    fire(c, "resolve", actor="tech-wu", at=at("2026-10-03 09:30"), resolution="repair",
         detail="interlock replaced, lift inspected and back in service")
    fire(c, "feed_back", actor="agent-zhou", at=at("2026-10-03 10:00"), channel="phone")
    revisit_due = property_policy.revisit_times("urgent", at("2026-10-03 10:00"))
    assert revisit_due[0] == at("2026-10-04 10:00")  # the day after, holiday or not
    fire(c, "record_revisit", actor="agent-zhou", at=at("2026-10-04 10:30"), outcome="satisfied")
    fire(c, "close", actor="agent-zhou", at=at("2026-10-04 10:31"))

    report = _report(property_policy, c)
    assert report[("dispatch", 1)] == (at("2026-10-02 21:45"), at("2026-10-02 21:43"))  # 5 minutes: people trapped
    assert report[("investigate", 1)] == (at("2026-10-02 23:40"), at("2026-10-02 22:20"))  # under control in 2h
    assert report[("resolve", 1)] == (at("2026-10-03 21:40"), at("2026-10-03 09:30"))
    assert report[("feed_back", 1)] == (at("2026-10-03 11:30"), at("2026-10-03 10:00"))
    assert all(s.met_in_time for s in stage_report(property_policy, c))
    assert c.status == "closed" and c.first_responder == "agent-zhou"
    assert [e.name for e in c.events] == ["Received", "Dispatched", "Classified", "Assigned", "FindingsRecorded",
                                         "Resolved", "FedBack", "Revisited", "Closed"]


def test_lift_entrapment_ladder_climbs_in_minutes(property_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt: if nobody reaches the lift, the duty manager hears at once."""
    received = at("2026-10-02 21:40")
    deadline = property_policy.deadline("lift_entrapment", "urgent", "dispatch", received)
    assert deadline is not None
    steps = property_policy.ladder("urgent", deadline, received)
    assert [(s.level, s.action, s.due_at) for s in steps] == [
        (1, "reminder", at("2026-10-02 21:44")),
        (2, "overdue_notice", at("2026-10-02 21:45")),
        (3, "escalate_to_leadership", at("2026-10-02 22:45")),
    ]
    assert "duty_manager" in steps[1].notify


def test_service_attitude_reminder_comes_a_fifth_of_the_working_time_early(property_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt, 物业: 服务态度恶劣 is 重要; 12345: resolve within 13 working days.
    The -20% reminder is a fifth of the stage's working time (14 days of 09:00-18:00 business
    hours: 1,512 working minutes), counted back over business hours from the deadline. Counted
    back as clock minutes it would come at Wed 12-09 16:48, a day before the deadline; a fifth
    of the clock time, at Mon 12-07 06:36, before anyone is at work."""
    received = at("2026-11-23 09:00")  # Monday
    deadline = property_policy.deadline("service_attitude", "important", "resolve", received)
    assert deadline is not None and deadline.due_at == at("2026-12-10 18:00")  # Thursday, close of business
    steps = property_policy.ladder("important", deadline, received)
    assert [(s.level, s.action, s.due_at) for s in steps] == [
        (1, "reminder", at("2026-12-08 10:48")),  # Tuesday: 2 working days and 7 h 12 min before the deadline
        (2, "overdue_notice", at("2026-12-10 18:00")),
        (3, "censure", at("2026-12-17 18:00")),  # 5 working days later, at close of business
    ]


def test_service_attitude_deadlines_as_desk_policy_explain_lists_them(property_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt: 服务态度恶劣 is 重要 unless the agent says otherwise; every
    deadline that starts at receipt, soonest first (what `desk policy explain` prints)."""
    received = at("2026-11-23 09:00")
    assert property_policy.tier_of("service_attitude") == "important"
    assert property_policy.tier_of("service_attitude", "urgent") == "urgent"  # the agent's choice wins
    listed = property_policy.deadlines_from("received", "service_attitude", "important", received)
    assert [(d.stage, d.due_at) for d in listed] == [
        ("triage", at("2026-11-23 09:30")), ("acknowledge", at("2026-11-24 09:00")),
        ("investigate", at("2026-11-30 09:00")), ("resolve", at("2026-12-10 18:00"))]
    assert [d.stage for d in property_policy.deadlines_from("received", None, None, received)] == ["triage"]
    resolved = property_policy.deadlines_from("resolved", "service_attitude", "important", received)
    assert [(d.stage, d.due_at) for d in resolved] == [("feed_back", at("2026-11-24 18:00"))]  # next working day


def test_an_appeal_window_of_fifteen_days_after_the_decision(enterprise_policy: Policy,
                                                             property_policy: Policy) -> None:
    """Seed 000_b3aee573c9b1984e.txt allows a platform decision to be appealed (申诉); the window
    is ours: 15 calendar days, to the minute. Property complaints have no appeal."""
    assert enterprise_policy.appeal_window_ends(at("2026-11-27 10:00")) == at("2026-12-12 10:00")
    assert property_policy.appeal_window_ends(at("2026-11-27 10:00")) is None


def test_leaking_washing_machine_refused_by_the_seller(enterprise_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt, 案例一: 洗衣机漏水严重, 商家以"非质量问题"为由拒绝退换."""
    c = receive(number="TS-2026-000102", family="enterprise", first_responder="kf-xiao",
                received_at=at("2026-11-23 10:00"), channel="app")
    _classify(enterprise_policy, c, "kf-xiao", at("2026-11-23 10:05"), "product_quality",
              responsibility="third_party")
    assert c.tier == "important"
    fire(c, "assign", actor="kf-xiao", at=at("2026-11-23 10:10"), handler="as-lin", department="after_sales")
    asked = at("2026-11-23 11:00")
    fire(c, "request_evidence", actor="as-lin", at=asked, respondent="seller shop 5581")
    window = enterprise_policy.deadline("product_quality", "important", "evidence", asked)
    assert window is not None and window.due_at == at("2026-11-26 11:00")  # 3 days (seed 001)
    assert window.on_expiry == "evidence_deadline_passed"
    assert enterprise_policy.ladder("important", window, asked) == []  # expiry is a step, not an escalation
    # The seller sends nothing: when the window closes the platform decides on what it has.
    fire(c, "evidence_deadline_passed", actor="desk", at=window.due_at)
    assert c.status == "assigned" and c.evidence_outcome == "deadline_passed"
    fire(c, "record_findings", actor="as-lin", at=at("2026-11-26 14:00"),
         findings="buyer's video shows water leaking from the drum seal on first use; seller sent no evidence")
    fire(c, "resolve", actor="as-lin", at=at("2026-11-27 10:00"), resolution="refund",
         detail="return at the seller's cost, full refund of 2,399 yuan")
    fire(c, "feed_back", actor="kf-xiao", at=at("2026-11-27 11:00"), channel="phone")
    assert enterprise_policy.spec.revisit.by == "quality_team"  # the handler does not grade their own work
    fire(c, "record_revisit", actor="qa-gao", at=at("2026-11-30 10:00"), outcome="satisfied")
    fire(c, "close", actor="kf-xiao", at=at("2026-11-30 10:05"))

    report = _report(enterprise_policy, c)
    assert report[("investigate", 1)] == (at("2026-11-26 18:30"), at("2026-11-26 14:00"))  # 3 working days
    assert report[("resolve", 1)] == (at("2026-11-30 18:30"), at("2026-11-27 10:00"))  # 5 working days
    assert c.status == "closed"


def test_late_shipping_owes_5_percent_within_1_and_30_yuan(enterprise_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt: 延迟发货 pays 百分之五, 最低一元, 最高三十元, plus 3 points if unpaid."""
    c = receive(number="TS-2026-000103", family="enterprise", first_responder="kf-xiao",
                received_at=at("2026-11-20 09:15"), channel="web")
    _classify(enterprise_policy, c, "kf-xiao", at("2026-11-20 09:20"), "late_shipping",
              responsibility="third_party")
    fire(c, "assign", actor="kf-xiao", at=at("2026-11-20 09:30"), handler="lg-he", department="logistics")
    fire(c, "record_findings", actor="lg-he", at=at("2026-11-20 14:00"),
         findings="paid 11-16 20:00, no courier record 96 hours later; seller did not pay before the ruling")
    owed = enterprise_policy.compensation_for("late_shipping", Decimal("399"))
    assert owed == Decimal("19.95")
    fire(c, "resolve", actor="lg-he", at=at("2026-11-23 11:00"), resolution="compensation",
         detail="seller pays the late-shipping penalty to the buyer", compensation=owed,
         authority_limit=limit_of(enterprise_policy.spec.authority, "agent"))
    assert c.resolutions[-1].compensation == Decimal("19.95") and c.resolutions[-1].approval_id is None
    assert enterprise_policy.type("late_shipping").penalty_points == {"unpaid_before_ruling": 3}
    assert enterprise_policy.compensation_for("late_shipping", 10) == Decimal("1.00")
    assert enterprise_policy.compensation_for("late_shipping", 800) == Decimal("30.00")
    # General tier: 3 working days from Friday morning skip the weekend.
    assert _report(enterprise_policy, c)[("resolve", 1)] == (at("2026-11-25 18:30"), at("2026-11-23 11:00"))


def test_harassment_opinion_within_4_working_days_across_national_day(enterprise_policy: Policy) -> None:
    """Seed 000_b3aee573c9b1984e.txt: 恶意骚扰, filed within 0-15 days of the trade, opinion in 4 working days."""
    trade_success, received = at("2026-09-20 12:00"), at("2026-09-30 15:00")
    assert enterprise_policy.within_filing_window("harassment", trade_success, received)
    c = receive(number="TS-2026-000104", family="enterprise", first_responder="kf-xiao",
                received_at=received, channel="app", data={"trade_success": trade_success.isoformat()})
    _classify(enterprise_policy, c, "kf-xiao", at("2026-09-30 15:10"), "harassment", responsibility="third_party")
    opinion = enterprise_policy.deadline("harassment", "important", "resolve", received)
    assert opinion is not None
    assert opinion.due_at == at("2026-10-12 18:30")  # 10-01..10-07 off, Saturday 10-10 works
    assert opinion.rule == "type harassment"
    assert "2026-10-10 make-up workday (调休)" in opinion.explanation
    ladder = enterprise_policy.ladder("important", opinion, received)
    assert [(s.action, s.due_at) for s in ladder][1:] == [
        ("overdue_notice", at("2026-10-12 18:30")),
        ("censure", at("2026-10-19 18:30")),  # 12345: 5 working days later
    ]
    fire(c, "assign", actor="kf-xiao", at=at("2026-09-30 15:20"), handler="pr-sun", department="platform_rules")
    fire(c, "request_evidence", actor="pr-sun", at=at("2026-09-30 15:30"), respondent="seller shop 7702")
    fire(c, "receive_evidence", actor="pr-sun", at=at("2026-10-08 10:00"),
         items=["旺旺 chat record screenshots", "call records of 23 calls in one night"])
    fire(c, "record_findings", actor="pr-sun", at=at("2026-10-09 11:00"),
         findings="seller called the buyer repeatedly after a negative review")
    fire(c, "resolve", actor="pr-sun", at=at("2026-10-12 16:00"), resolution="penalty",
         detail=f"harassment upheld: {enterprise_policy.type('harassment').penalty_points['default']} points")
    assert _report(enterprise_policy, c)[("resolve", 1)][1] == at("2026-10-12 16:00")  # in time


def test_harassment_filed_too_late_is_rejected_with_the_reason(enterprise_policy: Policy) -> None:
    """Seed 000_b3aee573c9b1984e.txt: only 交易成功的0-15天内."""
    trade_success, received = at("2026-09-01 12:00"), at("2026-09-30 15:00")
    assert enterprise_policy.filing_window_ends("harassment", trade_success) == at("2026-09-16 12:00")
    assert not enterprise_policy.within_filing_window("harassment", trade_success, received)
    c = receive(number="TS-2026-000105", family="enterprise", first_responder="kf-xiao", received_at=received,
                channel="app")
    fire(c, "reject", actor="kf-xiao", at=at("2026-09-30 15:05"), reason="outside_filing_window",
         note="the trade succeeded on 09-01; harassment complaints are taken within 15 days")
    assert c.status == "rejected" and c.exit_reason.startswith("outside_filing_window")


def test_unsatisfied_revisit_reopens_then_closes(property_policy: Policy) -> None:
    """Seed 001_068352ed8b8f0fde.txt, 物业 7 回访: 对于业主不满意的处理结果,要重新进行分析和处理,直到业主满意为止."""
    c = receive(number="TS-2026-000106", family="property", first_responder="agent-li",
                received_at=at("2026-11-23 08:30"), channel="counter")
    _classify(property_policy, c, "agent-li", at("2026-11-23 08:40"), "cleaning_late")
    fire(c, "assign", actor="agent-li", at=at("2026-11-23 09:00"), handler="clean-zhang", department="environment")
    fire(c, "record_findings", actor="clean-zhang", at=at("2026-11-23 11:00"),
         findings="stairwell 3 not swept for a week")
    fire(c, "resolve", actor="clean-zhang", at=at("2026-11-24 10:00"), resolution="repair", detail="stairwell swept")
    fire(c, "feed_back", actor="agent-li", at=at("2026-11-24 15:00"), channel="sms")
    fire(c, "record_revisit", actor="agent-li", at=at("2026-11-25 10:00"), outcome="unsatisfied",
         note="floors 12-18 still dirty")
    with pytest.raises(GuardRefused, match="satisfied revisit, or a final decision"):
        fire(c, "close", actor="agent-li", at=at("2026-11-25 10:01"))
    reopened = at("2026-11-25 10:05")
    fire(c, "reopen", actor="agent-li", at=reopened, reason="owner unsatisfied: upper floors")
    assert (c.status, c.round, c.reopen_count) == ("assigned", 2, 1)
    assert c.handler == "clean-zhang"  # the same team handles it again; the owner is unchanged
    fire(c, "record_findings", actor="clean-zhang", at=at("2026-11-25 11:00"), findings="cleaner skipped 12-18")
    fire(c, "resolve", actor="clean-zhang", at=at("2026-11-26 09:00"), resolution="repair",
         detail="floors 12-18 cleaned; schedule now covers every floor daily")
    fire(c, "feed_back", actor="agent-li", at=at("2026-11-26 10:00"), channel="phone")
    fire(c, "record_revisit", actor="agent-li", at=at("2026-11-27 10:00"), outcome="satisfied")
    fire(c, "close", actor="agent-li", at=at("2026-11-27 10:05"))

    report = _report(property_policy, c)
    assert report[("resolve", 1)] == (at("2026-11-26 18:00"), at("2026-11-24 10:00"))
    # The re-handling round has its own deadline, counted from the reopening.
    assert report[("resolve", 2)] == (at("2026-11-30 18:00"), at("2026-11-26 09:00"))
    assert ("acknowledge", 2) not in report  # classification is not repeated
    assert c.status == "closed" and [r.outcome for r in c.revisits] == ["unsatisfied", "satisfied"]
    assert sum(1 for e in c.events if e.name == "Reopened") == c.reopen_count == 1
