"""The operations pages' data on both databases, with a fixed clock: what the sweeps will fire by
tier and level, what they fired today (in the policy's zone) with the run that fired it, and the
outbox with an operator's retry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import update

from desk import operations
from desk.errors import BadInput, NotPermitted
from desk.notify import Notification
from desk.outbox import outbox_page
from desk.service import Desk
from desk.store import schema
from desk.store.tables import outbox
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = pytest.mark.integration
PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
RUN_1 = "0b5c3e8a-1d2f-4a6b-9c7d-2e4f6a8b0c1d"
RUN_2 = "7f1e2d3c-4b5a-4968-8776-655443322110"
UI = "http://prefect.example:4200"


def test_scheduled_escalations_are_counted_by_tier_kind_and_level(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    desk.file(actor="li-na", now=t, family="property", complainant=PERSON)  # unclassified: the urgent lane
    general = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(general, actor="li-na", now=t, type="cleaning_late")  # resolve due 11-26 18:00, rungs around it

    found = operations.scheduled(desk, at("2026-11-26 10:00"), reader="li-na")
    rows = [(r.tier, r.kind, r.level, r.due_now, r.within_hour, r.within_day) for r in found.rows]
    assert rows == [
        # The untriaged complaint's triage deadline and its first two rungs are long due (nothing swept);
        # its censure (+5 working days) is beyond the day.
        ("urgent", "stage_deadline", 0, 1, 0, 0),
        ("urgent", "escalation", 1, 1, 0, 0),
        ("urgent", "escalation", 2, 1, 0, 0),
        # The general one: the reminder at -20% (10:48) within the hour, the breach at 18:00 within the day.
        ("general", "stage_deadline", 0, 0, 0, 1),
        ("general", "escalation", 1, 0, 1, 1),
        ("general", "escalation", 2, 0, 0, 1),
    ]
    with pytest.raises(NotPermitted, match="integration accounts"):
        operations.scheduled(desk, t, reader="hotline-12345")


def test_escalations_fired_today_carry_the_run_that_fired_them(desk: Desk) -> None:
    yesterday = desk.file(actor="li-na", now=at("2026-11-22 23:00"), family="property", complainant=PERSON).number
    desk.fire_due_timers(at("2026-11-22 23:50"), run_id=RUN_1)  # the 22nd in Shanghai: not today
    after_midnight = desk.file(actor="li-na", now=at("2026-11-22 23:50"), family="property",
                               complainant=PERSON).number
    # 00:30 in Shanghai is still the 22nd in UTC: today is the policy zone's day.
    assert len(desk.fire_due_timers(at("2026-11-23 00:30"), run_id=RUN_1)) == 3
    morning = desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=PERSON).number
    assert len(desk.fire_due_timers(at("2026-11-23 09:40"), run_id=RUN_2)) == 3
    by_hand = desk.file(actor="li-na", now=at("2026-11-23 10:00"), family="property", complainant=PERSON).number
    desk.fire_due_timers(at("2026-11-23 10:40"))  # `desk sweep`: no run

    today = operations.fired_today(desk, at("2026-11-23 20:00"), UI, reader="li-na")
    assert today.total == 9 and yesterday not in {r.number for r in today.rows}
    assert today.since["property"] == at("2026-11-23 00:00")
    rows = [(r.number, r.tier, r.kind, r.stage, r.level, r.action, r.fired_at, r.run_id) for r in today.rows]
    assert rows == [  # newest first; within one sweep by number and level
        *[(by_hand, "urgent", kind, "triage", level, action, at("2026-11-23 10:40"), None)
          for kind, level, action in FIRED],
        *[(morning, "urgent", kind, "triage", level, action, at("2026-11-23 09:40"), RUN_2)
          for kind, level, action in FIRED],
        *[(after_midnight, "urgent", kind, "triage", level, action, at("2026-11-23 00:30"), RUN_1)
          for kind, level, action in FIRED],
    ]
    assert {r.run_url for r in today.rows} == {None, f"{UI}/runs/flow-run/{RUN_1}", f"{UI}/runs/flow-run/{RUN_2}"}
    assert [r.number for r in operations.fired_today(desk, at("2026-11-23 20:00"), UI, limit=2).rows] == [by_hand] * 2
    assert PERSON["name"] not in today.model_dump_json() and PERSON["phone"] not in today.model_dump_json()


FIRED = [("stage_deadline", 0, "breached"), ("escalation", 1, "reminder"), ("escalation", 2, "overdue_notice")]


class Gateway:
    """A notifier that is down until told otherwise, and remembers what it sent."""

    def __init__(self) -> None:
        self.up, self.sent = False, []  # type: ignore[var-annotated]

    def send(self, notification: Notification) -> None:
        if not self.up:
            raise ConnectionError("gateway unreachable")
        self.sent.append(notification.id)


def test_a_failed_notice_is_retried_by_an_operator_and_sent_once(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    desk.file(actor="li-na", now=t, family="property", complainant=PERSON)
    desk.fire_due_timers(at("2026-11-23 09:25"))  # the reminder: one notice, to li-na
    gateway = Gateway()
    owed = outbox_page(desk)
    assert [(n.status, n.kind, n.recipient, n.attempts) for n in owed.rows] == [("pending", "escalation", "li-na", 0)]
    notice = owed.rows[0].id
    with pytest.raises(BadInput, match="has not failed"):
        desk.retry_notification(notice, actor="qian-bo", now=t)

    assert desk.deliver_notifications(gateway, at("2026-11-23 09:26"), max_attempts=2).failed == [notice]
    retrying = outbox_page(desk, "failed").rows[0]
    assert (retrying.status, retrying.attempts, retrying.last_error) == (
        "retrying", 1, "ConnectionError: gateway unreachable")
    assert retrying.next_attempt_at == at("2026-11-23 09:27")
    desk.deliver_notifications(gateway, at("2026-11-23 09:27"), max_attempts=2)  # the last attempt: given up
    failed = outbox_page(desk, "failed")
    assert failed.counts.model_dump() == {"pending": 0, "retrying": 0, "failed": 1, "retried": 0}
    assert (failed.rows[0].status, failed.rows[0].gave_up_at, failed.rows[0].next_attempt_at) == (
        "failed", at("2026-11-23 09:27"), None)
    gateway.up = True
    assert desk.deliver_notifications(gateway, at("2026-11-23 12:00")).sent == []  # it waits for operations

    with pytest.raises(NotPermitted, match=r"wu-gang may not retry notification #\d+: policies/org.yaml "
                                           r"permissions.operate allows general_manager, duty_manager"):
        desk.retry_notification(notice, actor="wu-gang", now=at("2026-11-23 12:00"))  # a handler
    assert outbox_page(desk, "retried").rows == []
    assert desk.retry_notification(notice, actor="qian-bo", now=at("2026-11-23 12:05")) == "urgent"
    assert desk.deliver_notifications(gateway, at("2026-11-23 12:05")).sent == [notice]
    assert desk.deliver_notifications(gateway, at("2026-11-23 12:10")).sent == []  # once
    retried = outbox_page(desk, "retried")
    assert [(n.status, n.retried_by, n.retried_at, n.attempts) for n in retried.rows] == [
        ("sent", "qian-bo", at("2026-11-23 12:05"), 3)]
    assert outbox_page(desk).rows == [] and gateway.sent == [notice]
    with pytest.raises(BadInput, match="was sent at"):
        desk.retry_notification(notice, actor="ma-jing", now=at("2026-11-23 12:20"))


def test_notices_given_up_before_0007_show_as_failed(desk: Desk, tmp_path: Path) -> None:
    desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=PERSON)
    desk.fire_due_timers(at("2026-11-23 09:25"))
    config = schema._config(desk.engine)
    with desk.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
        connection.execute(update(outbox).values(attempts=8, last_error="TimeoutError: timed out"))
    schema.ensure_current(desk.engine)
    assert [(n.status, n.gave_up_at) for n in outbox_page(desk, "failed").rows] == [
        ("failed", at("2026-11-23 09:25"))]


def test_the_outbox_commands_list_and_retry_as_the_desk_does(tmp_path: Path) -> None:
    """`desk outbox --failed` and `desk outbox retry ID --as PERSON`, in real processes."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DESK_")}, "DESK_HOME": str(tmp_path),
           "COLUMNS": "200", "NO_COLOR": "1"}

    def desk_says(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desk", *args], capture_output=True, text=True, env=env,
                              timeout=120, check=False)

    opened = open_desk(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path)
    number = opened.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=PERSON).number
    opened.fire_due_timers(at("2026-11-23 09:25"))
    opened.deliver_notifications(Gateway(), at("2026-11-23 09:26"), max_attempts=1)
    notice = outbox_page(opened).rows[0].id
    opened.engine.dispose()

    listed = desk_says("outbox", "--failed")
    assert listed.returncode == 0, listed.stderr
    assert "owed: 0 pending, 0 retrying, 1 failed" in listed.stdout
    assert f"#{notice} failed {number} urgent escalation → li-na · 1 attempt(s)" in listed.stdout
    refused = desk_says("outbox", "retry", str(notice), "--as", "wu-gang")
    assert refused.returncode == 1 and "permissions.operate allows general_manager, duty_manager" in refused.stderr
    retried = desk_says("outbox", "retry", str(notice), "--as", "qian-bo")
    assert retried.returncode == 0, retried.stderr
    assert f"notification #{notice} is due again: the next urgent sweep sends it" in retried.stdout
    assert "retried by qian-bo" in desk_says("outbox", "--retried").stdout
