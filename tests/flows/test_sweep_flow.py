"""The per-tier sweeps as Prefect flows: their runs, artifacts and events, and no personal data."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import prefect.settings
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.events import Event
from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker

from desk.config import Settings
from desk.service import Desk
from flows.publish import CALLBACK_DUE, ESCALATED
from flows.report import daily_report
from flows.sweep import escalations as escalation_flow
from flows.sweep import revisit_callbacks
from tests.flows.conftest import sweep_every_lane

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]
T = TypeVar("T")


def eventually(read: Callable[[], T], until: Callable[[T], bool], within: float = 30.0, *, what: str) -> T:
    """Polls with a bound: Prefect ingests events asynchronously after the client sends them.
    Past the bound the test fails, saying what it waited for and what it read last: a test
    must not go on with a value that never became what it waited for."""
    EventsWorker.drain_all()
    started = time.monotonic()
    while True:
        value = read()
        if until(value):
            return value
        waited = time.monotonic() - started
        if waited > within:
            raise AssertionError(f"waited {waited:.1f} s (bound {within:g} s) for {what}; "
                                 f"last read: {_shortened(value)}")
        threading.Event().wait(0.25)


def _shortened(value: object, keep: int = 600) -> str:
    text = repr(value)
    return text if len(text) <= keep else f"{text[:keep]}... ({len(text)} characters in all)"


Escalation = tuple[str, str, object, object, object]  # event, complaint, stage, level, action


def escalations(events: Iterable[Event]) -> Counter[Escalation]:
    """Events by name, complaint, stage, level and action, counted: a set would hide one sent twice."""
    return Counter((e.event, e.resource.id, e.payload.get("stage"), e.payload.get("level"), e.payload.get("action"))
                   for e in events)


def escalated(number: str, *steps: tuple[str, int, str]) -> Counter[Escalation]:
    """The complaint.escalated events a complaint is owed: one per (stage, level, action)."""
    return Counter((ESCALATED, f"complaint.{number}", *step) for step in steps)


# An untriaged complaint two hours past receipt: both rungs of its triage ladder are due.
UNTRIAGED = (("triage", 1, "reminder"), ("triage", 2, "overdue_notice"))

NAME, PHONE = "欧阳测试员", "13987654321"  # distinctive, so any leak is found


def _file_overdue(count: int) -> list[str]:
    """Complaints received two hours ago that nobody triaged: their triage deadline has passed."""
    desk = Desk.open(Settings.from_env())
    received = datetime.now(UTC) - timedelta(hours=2)
    numbers = [
        desk.file(actor="li-na", now=received, family="property", received_at=received,
                  complainant={"name": NAME, "phone": PHONE, "description": f"{NAME} 家楼上漏水"}).number
        for _ in range(count)
    ]
    desk.engine.dispose()
    return numbers


def test_a_sweep_run_fires_reports_and_mirrors_escalations(desk_env: Path) -> None:
    numbers = _file_overdue(3)
    state = escalation_flow(tier="urgent", return_state=True)  # untriaged complaints are swept as urgent
    summary = state.result()
    assert summary["escalations"] == 6 and summary["fired"] == 9  # reminder + notice (+ breach) each
    assert summary["notifications_sent"] == 9 and summary["notifications_failed"] == 0

    with get_client(sync_client=True) as client:
        # This test's own run: other tests share the Prefect server and sweep too.
        run = client.read_flow_run(state.state_details.flow_run_id)
        assert run.state is not None and run.state.is_completed()
        # Named by tier and second, then by what it did, so the runs list reads like a log.
        assert re.fullmatch(r"urgent \d\d:\d\d:\d\d · 6 escalated, 3 breached", run.name), run.name
        assert run.parameters == {"tier": "urgent", "limit": 100_000, "batch": 200}
        artifacts = {a.key: a for a in client.read_artifacts() if a.flow_run_id == run.id}
        assert all(number in str(artifacts["escalations-urgent"].data) for number in numbers)
        # What the lane will fire next: nothing is left due, the sweep fired it all.
        ahead = str(artifacts["next-due-escalations-urgent"].data)
        assert "| due already | within 15 min | within 1 hour | within 1 day |\n|---|---|---|---|\n| 0 |" in ahead
        APILogWorker.drain_all()
        logs = " ".join(log.message for log in client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))))
        assert "The urgent escalations sweep at" in logs and "fired 9 timers (6 escalated, 3 breached)" in logs
        assert "{" not in logs  # a sentence, not a Python dict
        # This run's events only: other tests' desks number their complaints alike.
        mirrored = EventFilter(event=EventNameFilter(name=[ESCALATED]),
                               related=EventRelatedFilter(id=[f"prefect.flow-run.{run.id}"]))
        expected = sum((escalated(number, *UNTRIAGED) for number in numbers), Counter())
        eventually(lambda: client.read_events(mirrored, limit=50).events,
                   until=lambda found: escalations(found) >= expected,
                   what=f"this run's {expected.total()} escalations")
        # Counted on a fresh read once all have come: Prefect stores the events one client sends
        # in the order they arrive, so a duplicate sent before the last of them is in this read.
        events = client.read_events(mirrored, limit=50).events
    assert escalations(events) == expected  # each once, nothing else
    assert all(e.payload["tier"] is None for e in events)  # untriaged: no tier yet, and no personal data
    # Labels an automation can match on: tier, level, family (strings, as Prefect matches labels).
    assert {(e.resource["complaint.tier"], e.resource["complaint.family"]) for e in events} == {
        ("unclassified", "property")}
    assert sorted({e.resource["complaint.level"] for e in events}) == ["1", "2"]
    assert (desk_env / "notifications.log").read_text(encoding="utf-8").count(numbers[0]) == 3


def test_a_sweep_with_the_database_down_fails_its_run_with_the_reason(desk_env: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/desk")  # nothing listens there
    state = escalation_flow(tier="urgent", return_state=True)
    print(f"\nsweep run with the database down: {state.name}: {state.message}")
    assert state.is_failed()
    assert "the postgresql database at 127.0.0.1:1/desk is unavailable" in str(state.message)
    APILogWorker.drain_all()
    with get_client(sync_client=True) as client:  # what operations read in the run's log: one sentence
        run = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
        logs = eventually(lambda: [log.message for log in client.read_logs(log_filter=run)],
                          lambda found: any("is unavailable" in message for message in found),
                          what="the run's log to say the database is unavailable")
    print("its log:\n  " + "\n  ".join(logs))
    assert not any("Traceback" in message for message in logs)


def test_a_second_sweep_fires_nothing_more(desk_env: Path) -> None:
    _file_overdue(2)
    assert escalation_flow(tier="urgent")["fired"] == 6
    assert escalation_flow(tier="urgent")["fired"] == 0


def test_each_tier_sweeps_its_own_timers_only(desk_env: Path) -> None:
    """An untriaged complaint could be a lift entrapment: its timers wait for the urgent sweep,
    not the general one; once classified general, its timers are the general sweep's."""
    desk = Desk.open(Settings.from_env())
    received = datetime.now(UTC) - timedelta(days=10)
    number = desk.file(actor="li-na", now=received, family="property", received_at=received,
                       complainant={"name": NAME, "phone": PHONE, "description": "楼道没有打扫"}).number
    assert escalation_flow(tier="general")["fired"] == 0 and escalation_flow(tier="important")["fired"] == 0
    assert escalation_flow(tier="urgent")["fired"] == 4  # triage: reminder, notice, breach, censure
    # General: its resolve deadline (3 working days from receipt) has passed, and is now general's.
    desk.classify(number, actor="li-na", now=datetime.now(UTC), type="cleaning_late")
    desk.engine.dispose()
    assert escalation_flow(tier="urgent")["fired"] == 0
    assert escalation_flow(tier="general")["fired"] > 0


def test_a_callback_sweep_fires_due_callbacks_and_mirrors_them(round_the_clock: Path) -> None:
    desk = Desk.open(Settings.from_env())
    start = datetime.now(UTC) - timedelta(days=10)
    number = desk.file(actor="li-na", now=start, received_at=start, family="property",
                       complainant={"name": NAME, "phone": PHONE, "description": "楼道没有打扫"}).number
    for hours, verb, arguments in (
            (1, desk.classify, {"type": "cleaning_late"}), (2, desk.assign, {"handler": "zhang-li"}),
            (3, desk.record_findings, {"findings": "checked"}),
            (4, desk.resolve, {"resolution": "repair", "detail": "cleaned"}),
            (5, desk.feed_back, {"channel": "phone"})):
        actor = "zhang-li" if verb in (desk.record_findings, desk.resolve) else "li-na"
        verb(number, actor=actor, now=start + timedelta(hours=hours), **arguments)  # type: ignore[operator]
    desk.engine.dispose()
    assert escalation_flow(tier="general")["callbacks"] == 0  # not the escalation sweep's job
    state = revisit_callbacks(tier="general", return_state=True)
    assert state.result()["callbacks"] == 2  # both attempts of the general tier fell due, ten days on
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
        assert re.fullmatch(r"general \d\d:\d\d:\d\d · 2 callback due, 1 unreached after the last callback",
                            run.name), run.name
        due = EventFilter(event=EventNameFilter(name=[CALLBACK_DUE]),
                          related=EventRelatedFilter(id=[f"prefect.flow-run.{run.id}"]))
        events = eventually(lambda: client.read_events(due, limit=50).events, until=lambda found: len(found) >= 2,
                            what="the two complaint.callback-due events")
    assert {(e.resource.id, e.resource["complaint.tier"], e.payload["level"]) for e in events} == {
        (f"complaint.{number}", "general", 1), (f"complaint.{number}", "general", 2)}


def test_no_personal_data_reaches_prefect(desk_env: Path) -> None:
    """Parameters, run names, logs, artifacts and events: searched in Prefect's own database."""
    _file_overdue(2)
    sweep_every_lane()
    url = prefect.settings.PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    database = Path(url.split(":///", 1)[1])
    EventsWorker.drain_all()
    with get_client(sync_client=True) as client:
        logs = " ".join(log.message for log in client.read_logs())
        artifacts = " ".join(str(a.data) for a in client.read_artifacts())
    assert logs and artifacts
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for secret in (NAME, PHONE):
        assert secret not in logs and secret not in artifacts
        assert secret.encode("utf-8") not in raw, f"{secret} found in Prefect's database"


def test_the_daily_report_publishes_a_summary_per_family(desk_env: Path) -> None:

    _file_overdue(1)
    escalation_flow(tier="urgent")
    state = daily_report(family="property", return_state=True)
    assert state.result()["overdue_now"] == 1
    with get_client(sync_client=True) as client:
        markdown = next(a for a in client.read_artifacts() if a.key == "daily-report-property"
                        and a.flow_run_id == state.state_details.flow_run_id)
    assert "overdue now: **1**" in str(markdown.data) and "| li-na | 1 | 0 |" in str(markdown.data)


def test_a_daily_report_with_the_database_down_fails_its_run_with_the_reason(desk_env: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/desk")
    state = daily_report(family="property", return_state=True)
    print(f"\ndaily report with the database down: {state.name}: {state.message}")
    assert state.is_failed() and "127.0.0.1:1/desk is unavailable" in str(state.message)
