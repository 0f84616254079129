"""Clocks of issue 15 replayed on the shipped policies with a manager's edit, each naming its
seed or anchor. Times are Shanghai wall-clock times."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.config import Settings
from desk.notify import Notification
from desk.service import Desk
from policies import Policy, parse_policy
from policies.policy import SHIPPED
from policies.tracking import stage_report
from states import fire, receive
from tests.support import at

pytestmark = pytest.mark.scenario


def edited(**replacements: str) -> Policy:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return Policy(parse_policy(text, "property.yaml, edited"), "edited")


def test_a_deadline_counted_across_a_lunch_break() -> None:
    """Anchor: Frappe Helpdesk #2212 (service hours split by a break). Seed 001_068352ed8b8f0fde.txt:
    服务态度恶劣 is 重要; here the service centre closes 12:00-13:30 and acknowledges within 4 working hours."""
    policy = edited(**{
        'business_hours: "09:00-18:00"': 'business_hours: "09:00-12:00, 13:30-18:00"',
        "    tier: important\n    route_to: customer_service":
            "    tier: important\n    route_to: customer_service\n    deadlines: {acknowledge: 4 working hours}",
    })
    c = receive(number="TS-2026-000301", family="property", first_responder="agent-zhou",
                received_at=at("2026-11-26 10:30"), channel="phone")  # a Thursday morning
    fire(c, "classify", actor="agent-zhou", at=at("2026-11-26 15:50"), type="service_attitude", tier="important",
         responsibility="own", policy_version=policy.version, revisit_attempts=policy.revisit_attempts("important"))

    acknowledge = next(s for s in stage_report(policy, c) if s.stage == "acknowledge")
    # 10:30-12:00 and 13:30-16:00: four working hours; without the break it would have been 14:30.
    assert acknowledge.due_at == at("2026-11-26 16:00")
    assert acknowledge.met_at == at("2026-11-26 15:50")
    deadline = next(d for d in policy.deadlines_from("received", "service_attitude", "important",
                                                     at("2026-11-26 10:30")) if d.stage == "acknowledge")
    ladder = [step.due_at for step in policy.ladder("important", deadline, at("2026-11-26 10:30"))]
    assert ladder[0] == at("2026-11-26 15:12")  # the reminder, 20% (48 working minutes) before


def test_a_general_reminder_fired_at_night_is_delivered_when_the_office_opens(tmp_path: Path) -> None:
    """Anchor: Zammad #4432 (escalation mail at midnight). Quiet hours: `notices_in` defaults to
    business_hours for important and general tiers, any_time for urgent (seed 001: 紧急 at once),
    and a complaint not yet triaged counts as urgent."""
    desk = Desk.open(Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", home=tmp_path, policy_dir=SHIPPED,
                              user=None), now=at("2026-11-23 08:00"))
    person = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
    general = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=person).number
    desk.classify(general, actor="li-na", now=at("2026-11-23 09:05"), type="cleaning_late")  # 3 working days
    untriaged = desk.file(actor="li-na", now=at("2026-11-26 22:00"), family="property", complainant=person).number

    fired = desk.fire_due_timers(at("2026-11-26 23:00"))  # Thu 23:00: both have rungs due
    assert {f.number for f in fired} == {general, untriaged}
    gateway = Recorder()
    desk.deliver_notifications(gateway, at("2026-11-26 23:00"))
    # Not yet triaged counts as urgent (it could be a lift entrapment): its notices go at once.
    assert {n.number for n in gateway.sent} == {untriaged}
    desk.deliver_notifications(gateway, at("2026-11-27 08:59"))
    assert {n.number for n in gateway.sent} == {untriaged}
    desk.deliver_notifications(gateway, at("2026-11-27 09:00"))  # Fri: the office opens, the general ones go
    assert {n.number for n in gateway.sent} == {untriaged, general}
    desk.engine.dispose()


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)
