"""Which deadlines a complaint met, replayed from its events: what `desk show` and timers build on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies import Policy
from policies.tracking import stage_report
from states import Complaint, fire, receive
from tests.support import at

pytestmark = pytest.mark.unit


def _classified(policy: Policy, type_key: str = "service_attitude") -> Complaint:
    c = receive(number="TS-2026-000200", family=policy.family, first_responder="li-agent",
                received_at=at("2026-11-23 09:00"), channel="phone")
    tier = policy.type(type_key).tier
    fire(c, "classify", actor="li-agent", at=at("2026-11-23 09:30"), type=type_key, tier=tier, responsibility="own",
         policy_version=policy.version, revisit_attempts=policy.revisit_attempts(tier))
    return c


def test_before_classification_only_triage_runs(property_policy: Policy) -> None:
    c = receive(number="TS-2026-000201", family="property", first_responder="li-agent",
                received_at=at("2026-11-23 09:00"), channel="phone")
    (triage,) = stage_report(property_policy, c)
    assert (triage.stage, triage.due_at, triage.met_at) == ("triage", at("2026-11-23 09:30"), None)
    assert triage.overdue_at(at("2026-11-23 10:00")) == timedelta(minutes=30)  # nobody looked: escalate


def test_classification_meets_triage_and_times_the_rest_from_receipt(property_policy: Policy) -> None:
    c = _classified(property_policy)  # received 09:00, classified 09:30
    report = {s.stage: s for s in stage_report(property_policy, c)}
    assert [s.stage for s in stage_report(property_policy, c)].count("triage") == 1
    assert report["triage"].met_at == at("2026-11-23 09:30") and report["triage"].met_in_time
    assert report["acknowledge"].started_at == at("2026-11-23 09:00")


def test_a_stage_left_open_past_its_deadline_is_overdue(property_policy: Policy) -> None:
    c = _classified(property_policy)
    fire(c, "assign", actor="li-agent", at=at("2026-11-23 10:00"), handler="wang", department="customer_service")
    resolve = next(s for s in stage_report(property_policy, c) if s.stage == "resolve")
    assert resolve.met_at is None and resolve.met_in_time is None
    assert resolve.due_at == at("2026-12-10 18:00")  # 13 working days
    assert resolve.overdue_at(at("2026-12-10 17:00")) is None
    assert resolve.overdue_at(at("2026-12-11 18:00")) == timedelta(days=1)


def test_a_late_stage_is_marked_late(property_policy: Policy) -> None:
    c = _classified(property_policy)
    acknowledge = next(s for s in stage_report(property_policy, c) if s.stage == "acknowledge")
    assert acknowledge.met_in_time is True  # classified within 24 hours
    late = receive(number="TS-2026-000202", family="property", first_responder="li-agent",
                   received_at=at("2026-11-23 09:00"), channel="phone")
    fire(late, "classify", actor="li-agent", at=at("2026-11-25 09:00"), type="service_attitude", tier="important",
         responsibility="own", policy_version=property_policy.version, revisit_attempts=3)
    acknowledge = next(s for s in stage_report(property_policy, late) if s.stage == "acknowledge")
    assert acknowledge.met_in_time is False


def test_ending_a_complaint_ends_its_open_stages(property_policy: Policy) -> None:
    c = _classified(property_policy)
    fire(c, "withdraw", actor="li-agent", at=at("2026-11-24 11:00"), reason="neighbours settled it")
    assert {s.stage: s.met_at for s in stage_report(property_policy, c)}["resolve"] == at("2026-11-24 11:00")


def test_stages_that_start_later_are_timed_from_their_own_start(property_policy: Policy) -> None:
    c = _classified(property_policy)
    fire(c, "assign", actor="li-agent", at=at("2026-11-23 10:00"), handler="wang", department="customer_service")
    fire(c, "record_findings", actor="wang", at=at("2026-11-24 10:00"), findings="f")
    fire(c, "resolve", actor="wang", at=at("2026-11-27 17:00"), resolution="apology", detail="d")
    feed_back = next(s for s in stage_report(property_policy, c) if s.stage == "feed_back")
    assert feed_back.started_at == at("2026-11-27 17:00")
    assert feed_back.due_at == at("2026-11-30 18:00")  # 1 working day after a Friday


def test_a_second_evidence_request_opens_a_second_window(enterprise_policy: Policy) -> None:
    c = _classified(enterprise_policy, "harassment")
    fire(c, "assign", actor="li-agent", at=at("2026-11-23 10:00"), handler="pr-sun", department="platform_rules")
    fire(c, "request_evidence", actor="pr-sun", at=at("2026-11-23 11:00"), respondent="shop 7702")
    fire(c, "receive_evidence", actor="pr-sun", at=at("2026-11-24 11:00"), items=["chat screenshots"])
    fire(c, "request_evidence", actor="pr-sun", at=at("2026-11-24 12:00"), respondent="shop 7702")
    windows = [s for s in stage_report(enterprise_policy, c) if s.stage == "evidence"]
    assert [(w.due_at, w.met_at) for w in windows] == [
        (at("2026-11-26 11:00"), at("2026-11-24 11:00")),
        (at("2026-11-27 12:00"), None),
    ]
