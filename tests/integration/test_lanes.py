"""Sweep lanes on real databases: each tier's timers are fired by that tier's sweeps only, urgent
work is never behind a general backlog, callbacks wait for business hours where the policy
says so, and a duty manager's notice is owed once per event. Times are passed in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.errors import NotFound
from desk.lanes import LANES, Lane
from desk.notify import Notification
from desk.service import Desk
from desk.store.tables import outbox, timers
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
URGENT, GENERAL = Lane("urgent", "escalations"), Lane("general", "escalations")


def _lanes_of(desk: Desk, number: str) -> set[tuple[str, str]]:
    """(kind, tier) of the complaint's pending timers."""
    with desk.reading() as uow:
        cid = uow.complaints.get(number).id
        rows = uow.connection.execute(select(timers.c.kind, timers.c.tier).where(
            timers.c.complaint_id == cid, timers.c.done_at.is_(None), timers.c.fired_at.is_(None)))
        return {(kind, tier) for kind, tier in rows}


def _file(desk: Desk, when: str, family: str = "property") -> str:
    return desk.file(actor="li-na", now=at(when), received_at=at(when), family=family, complainant=PERSON).number


def test_timers_follow_their_complaint_into_its_tiers_lane(desk: Desk) -> None:
    number = _file(desk, "2026-11-23 09:00")
    assert {tier for _, tier in _lanes_of(desk, number)} == {"urgent"}  # unclassified: could be an emergency
    desk.classify(number, actor="li-na", now=at("2026-11-23 09:10"), type="cleaning_late")
    assert {tier for _, tier in _lanes_of(desk, number)} == {"general"}
    fees = _file(desk, "2026-11-23 09:00")
    desk.classify(fees, actor="li-na", now=at("2026-11-23 09:01"), type="unreasonable_fees")
    assert {tier for _, tier in _lanes_of(desk, fees)} == {"important"}


def test_each_lane_fires_only_its_own_timers(desk: Desk) -> None:
    general = _file(desk, "2026-11-23 09:00")
    desk.classify(general, actor="li-na", now=at("2026-11-23 09:10"), type="cleaning_late")
    untriaged = _file(desk, "2026-11-23 09:00")
    late = at("2026-12-10 09:00")  # every deadline of both has passed
    assert desk.fire_due_timers(late, lanes=[Lane("important", "escalations")]) == []
    fired_urgent = desk.fire_due_timers(late, lanes=[URGENT])
    assert {f.number for f in fired_urgent} == {untriaged}
    fired_general = desk.fire_due_timers(late, lanes=[GENERAL])
    assert {f.number for f in fired_general} == {general}
    assert desk.fire_due_timers(late) == []  # every lane swept: nothing was left, nothing fired twice


def test_an_urgent_timer_is_fired_before_a_general_backlog(desk: Desk) -> None:
    """After an outage the general lane holds a backlog that fell due long before the urgent
    timer did; a sweep of every lane with room for one timer still fires the urgent one."""
    for _ in range(5):
        number = _file(desk, "2026-11-02 09:00")
        desk.classify(number, actor="li-na", now=at("2026-11-02 09:05"), type="cleaning_late")
    untriaged = _file(desk, "2026-11-23 09:00")
    (first,) = desk.fire_due_timers(at("2026-11-23 09:25"), limit=1)  # triage reminder: 20% before 30 min
    assert first.number == untriaged and first.level == 1


def test_callbacks_wait_for_business_hours_where_the_policy_says_so(desk: Desk) -> None:
    number = _file(desk, "2026-11-20 09:00")  # a Friday
    for minutes, verb, arguments in ((1, desk.classify, {"type": "cleaning_late"}),
                                     (2, desk.assign, {"handler": "zhang-li"}),
                                     (3, desk.record_findings, {"findings": "checked"}),
                                     (4, desk.resolve, {"resolution": "repair", "detail": "swept"}),
                                     (5, desk.feed_back, {"channel": "phone"})):
        actor = "zhang-li" if verb in (desk.record_findings, desk.resolve) else "li-na"
        verb(number, actor=actor, now=at("2026-11-20 09:00") + timedelta(minutes=minutes),  # type: ignore[operator]
             **arguments)
    callbacks = Lane("general", "callbacks")
    saturday = at("2026-11-28 10:00")  # the first callback (1 working day) fell due on Monday 23rd
    assert desk.callback_families(callbacks, saturday) == ()
    assert desk.fire_due_timers(saturday, lanes=[callbacks], office_hours=True) == []  # a weekend: wait
    assert desk.fire_due_timers(at("2026-11-30 08:59"), lanes=[callbacks], office_hours=True) == []
    fired = desk.fire_due_timers(at("2026-11-30 09:00"), lanes=[callbacks], office_hours=True)  # Monday opens
    assert [(f.kind, f.level) for f in fired][:1] == [("revisit", 1)]
    assert desk.callback_families(Lane("general", "escalations"), saturday) is None  # escalations never wait


def test_a_round_the_clock_policy_fires_callbacks_at_night(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name in ("property.yaml", "enterprise.yaml", "org.yaml"):
        text = (Path(__file__).parents[2] / "policies" / name).read_text(encoding="utf-8")
        if name == "enterprise.yaml":  # e-commerce service desks call back in the evening too
            text = text.replace("callbacks_in: business_hours", "callbacks_in: any_time")
            text = text.replace('version: "2026.11-3"', 'version: "2026.11-2-evenings"')
        (folder / name).write_text(text, encoding="utf-8")
    desk = open_desk(database_url, tmp_path, folder)
    try:
        night = at("2026-11-24 22:00")
        assert desk.callback_families(Lane("important", "callbacks"), night) == ("enterprise",)
        assert desk.callback_families(Lane("important", "callbacks"), at("2026-11-24 10:00")) is None
    finally:
        desk.engine.dispose()


def test_what_a_lane_will_fire_next(desk: Desk) -> None:
    numbers = [_file(desk, "2026-11-23 09:00") for _ in range(3)]
    schedule = desk.scheduled(URGENT, at("2026-11-23 09:20"))
    # Each untriaged complaint: reminder at 09:24, deadline and overdue notice at 09:30.
    assert schedule.overdue == 0
    assert schedule.counts == {"within_15_min": 9, "within_hour": 9, "within_day": 9}
    soonest = [(t["number"], t["kind"], t["level"]) for t in schedule.soonest]
    assert len(soonest) == 10 and sorted(soonest[:3]) == [(n, "escalation", 1) for n in numbers]
    assert sorted(soonest[3:9]) == sorted((n, kind, level) for n in numbers
                                          for kind, level in (("escalation", 2), ("stage_deadline", 0)))
    assert soonest[9][1:] == ("escalation", 3)  # the ten soonest: the first censure comes next
    later = desk.scheduled(URGENT, at("2026-11-23 09:35"))
    assert later.overdue == 9 and later.counts["within_day"] == 0  # nothing soon: the backlog is due already
    assert [(t["level"], t["due_at"]) for t in later.soonest] == [(3, at("2026-11-30 18:00"))] * 3  # censures
    assert desk.scheduled(GENERAL, at("2026-11-23 09:20")).counts == {
        "within_15_min": 0, "within_hour": 0, "within_day": 0}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


def test_a_duty_managers_notice_is_owed_once_per_event(desk: Desk) -> None:
    number = _file(desk, "2026-11-23 09:00")
    now = at("2026-11-23 10:00")
    assert desk.alert_duty_managers(reason="urgent-escalation", key="e-1", now=now, number=number, level=2) == 1
    assert desk.alert_duty_managers(reason="urgent-escalation", key="e-1", now=now, number=number, level=2) == 0
    assert desk.alert_duty_managers(reason="urgent-sweep-stalled", key="f-9", now=now) == 1  # about the desk
    recorder = Recorder()
    delivered = desk.deliver_notifications(recorder, now, tiers=["urgent"])
    assert len(delivered.sent) == 2
    assert {(n.recipient, n.number, n.kind, n.payload["reason"]) for n in recorder.sent} == {
        ("qian-bo", number, "duty_alert", "urgent-escalation"), ("qian-bo", "-", "duty_alert", "urgent-sweep-stalled")}
    with pytest.raises(NotFound):
        desk.alert_duty_managers(reason="urgent-escalation", key="e-2", now=now, number="TS-2026-999999", level=2)


def test_each_tiers_sweep_delivers_its_own_tiers_notices(desk: Desk) -> None:
    general = _file(desk, "2026-11-02 09:00")
    desk.classify(general, actor="li-na", now=at("2026-11-02 09:05"), type="cleaning_late")
    untriaged = _file(desk, "2026-11-23 09:00")
    now = at("2026-12-10 09:00")
    desk.fire_due_timers(now, lanes=LANES)
    urgent, rest = Recorder(), Recorder()
    desk.deliver_notifications(urgent, now, tiers=["urgent"])
    assert {n.number for n in urgent.sent} == {untriaged}
    desk.deliver_notifications(rest, now, tiers=["important", "general"])
    assert {n.number for n in rest.sent} == {general}
    with desk.reading() as uow:
        assert uow.connection.execute(select(outbox.c.tier).where(outbox.c.delivered_at.is_(None))).all() == []
