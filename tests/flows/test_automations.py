"""The desk's Prefect automations on a real local Prefect server, as an operator would find them:
applied twice and still one of each, triggers and actions as the YAML says, the escalation
automation creating a notify run with its parameters rendered (and none for events it must
ignore), the sweep automation alerting on a failed run and on a stall, and the YAML read by
`prefect automation create --from-file`.

The two deployments are created by name through the client, the notify one with the real flow's
parameter schema; nothing here runs them: a run that the automation creates stays Scheduled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import prefect.settings
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.responses import OrchestrationResult
from prefect.events import emit_event
from prefect.events.actions import RunDeployment
from prefect.events.schemas.automations import Automation, CompoundTrigger, EventTrigger, Posture
from prefect.events.worker import EventsWorker
from prefect.states import Failed
from prefect.utilities.callables import parameter_schema

from deployments.automations import AUTOMATIONS_YAML, MANAGED_TAG, PLACEHOLDER_ID, describe, ensure_automations
from desk.prefect_server import PrefectServer
from flows.notify import notify_duty_manager
from tests.flows.test_local_server import _free_port
from tests.flows.test_sweep_flow import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOTIFY = "notify-duty-manager/on-urgent-escalation"
SWEEP = "escalations/urgent"
ESCALATION = "urgent-escalation-to-duty-manager"
STALLED = "urgent-sweep-stalled-or-failed"
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    server = PrefectServer(home=tmp_path_factory.mktemp("automations") / "prefect", port=_free_port())
    with server, prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
        # Prefect keeps one events worker per client type, bound to the API it first talked to:
        # stop any left by an earlier test (its server), so that events go to this one.
        EventsWorker.drain_all()
        with get_client(sync_client=True) as client:
            client.create_deployment(
                flow_id=client.create_flow_from_name("notify-duty-manager"), name="on-urgent-escalation",
                parameter_openapi_schema=parameter_schema(notify_duty_manager.fn).model_dump(),
                enforce_parameter_schema=True)
            client.create_deployment(flow_id=client.create_flow_from_name("escalations"), name="urgent")
        yield server
        EventsWorker.drain_all()  # and leave none bound to this server for the tests after


@pytest.fixture
def client(server: PrefectServer) -> Iterator[SyncPrefectClient]:
    with get_client(sync_client=True) as client:
        yield client


def _notify_runs(client: SyncPrefectClient) -> list[FlowRun]:
    notify = client.read_deployment_by_name(NOTIFY).id
    return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[notify])))


def _one(client: SyncPrefectClient, name: str) -> Automation:
    found = client.read_automations_by_name(name)
    assert len(found) == 1, found
    return found[0]


def test_applying_twice_leaves_one_automation_of_each_as_the_file_says(client: SyncPrefectClient) -> None:
    first = ensure_automations(client)
    second = ensure_automations(client)

    assert [a.name for a in second] == [ESCALATION, STALLED]
    assert [a.id for a in second] == [a.id for a in first]  # the second apply changed nothing
    assert sorted(a.name for a in client.read_automations()) == [ESCALATION, STALLED]
    notify = client.read_deployment_by_name(NOTIFY).id

    escalation = _one(client, ESCALATION)
    assert escalation.enabled and MANAGED_TAG in escalation.tags
    trigger = escalation.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.posture == Posture.Reactive and trigger.expect == {"complaint.escalated"}
    assert trigger.threshold == 1 and trigger.within == timedelta(0)
    assert trigger.match["complaint.tier"] == ["urgent"]
    assert set(trigger.match["complaint.level"]) == {str(level) for level in range(2, 10)}  # >= 2, not 0 or 1
    [action] = escalation.actions
    assert isinstance(action, RunDeployment) and action.source == "selected" and action.deployment_id == notify
    assert action.parameters == {"reason": "urgent-escalation", "number": "{{ event.resource.name }}",
                                 "level": "{{ event.resource['complaint.level'] | int }}",
                                 "event_id": "{{ event.id | string }}"}

    stalled = _one(client, STALLED)
    assert stalled.enabled
    assert isinstance(stalled.trigger, CompoundTrigger) and stalled.trigger.require == "any"
    failed, stall = stalled.trigger.triggers
    assert isinstance(failed, EventTrigger) and isinstance(stall, EventTrigger)
    sweep_run = [{"prefect.resource.role": "flow", "prefect.resource.name": "escalations"},
                 {"prefect.resource.role": "deployment", "prefect.resource.name": "urgent"}]
    assert failed.posture == Posture.Reactive
    assert failed.expect == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"}
    assert stall.posture == Posture.Proactive and stall.expect == {"prefect.flow-run.Completed"}
    assert stall.threshold == 1 and stall.within == timedelta(seconds=120)
    for child in (failed, stall):
        assert isinstance(child.match_related, list)
        assert [spec.root for spec in child.match_related] == sweep_run  # type: ignore[union-attr]
    [action] = stalled.actions
    assert isinstance(action, RunDeployment) and action.deployment_id == notify
    assert action.parameters == {"reason": "urgent-sweep-stalled", "number": None, "level": None,
                                 "event_id": "{{ (event.id if event else firing.id) | string }}"}

    names = {notify: NOTIFY}
    assert describe(escalation, names) == (
        f"{ESCALATION}: when complaint.escalated [complaint.tier=urgent, complaint.level=2|3|4|5|6|7|8|9] "
        f"→ run {NOTIFY} (reason=urgent-escalation)")
    assert describe(stalled, names) == (
        f"{STALLED}: when a run Crashed|Failed|TimedOut of escalations/urgent or no run Completed of "
        f"escalations/urgent within 120 s → run {NOTIFY} (reason=urgent-sweep-stalled)")


def test_an_urgent_escalation_at_level_2_or_above_runs_the_notify_deployment_once_per_event(
        client: SyncPrefectClient) -> None:
    ensure_automations(client)

    def escalated(number: str, tier: str, level: int) -> Any:
        return emit_event(event="complaint.escalated", resource={
            "prefect.resource.id": f"complaint.{number}", "prefect.resource.name": number,
            "complaint.tier": tier, "complaint.level": str(level), "complaint.family": "property"})

    # Ignored first: events are evaluated in order, so once the last one has its run, these
    # have been seen too.
    ignored = [escalated("TS-GENERAL-3", "general", 3), escalated("TS-URGENT-1", "urgent", 1),
               escalated("TS-IMPORTANT-2", "important", 2)]
    wanted = [escalated("TS-URGENT-2", "urgent", 2), escalated("TS-URGENT-3", "urgent", 3)]
    assert all(e is not None for e in ignored + wanted)

    runs = eventually(lambda: _notify_runs(client),
                      until=lambda runs: {r.parameters.get("number") for r in runs} >= {"TS-URGENT-2", "TS-URGENT-3"},
                      what="a notify run for each urgent escalation at level 2 and 3")
    by_number = {r.parameters["number"]: r for r in runs}
    for event, level in zip(wanted, (2, 3), strict=True):
        run = by_number[event.resource.name]
        assert run.parameters == {"reason": "urgent-escalation", "number": event.resource.name, "level": level,
                                  "event_id": str(event.id)}
        assert run.state is not None and run.state.is_scheduled()  # nothing serves it here
    assert len(runs) == 2, [r.parameters for r in runs]  # one per event, none for the ignored


def test_the_cli_reads_the_shipped_file_and_applying_repairs_what_it_made(
        server: PrefectServer, client: SyncPrefectClient, tmp_path: Path) -> None:
    ours = {a.name: a.id for a in ensure_automations(client)}
    env = {**os.environ, "PREFECT_API_URL": server.api_url, "PREFECT_HOME": str(server.home)}
    prefect_cli = str(Path(sys.executable).with_name("prefect"))

    shipped = subprocess.run([prefect_cli, "automation", "create", "--from-file", str(AUTOMATIONS_YAML)],
                             env=env, capture_output=True, text=True, timeout=120)
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    assert "Created 2 automation(s)" in shipped.stdout
    # The CLI adds, it does not replace, and it keeps the placeholder: Prefect takes no names.
    assert len(client.read_automations_by_name(ESCALATION)) == 2
    assert any(a.deployment_id == PLACEHOLDER_ID for a in client.read_automations_by_name(ESCALATION)[0].actions
               if isinstance(a, RunDeployment))

    rendered = subprocess.run([sys.executable, "-m", "deployments.automations", "--render"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    (tmp_path / "resolved.yaml").write_text(rendered.stdout)
    created = subprocess.run([prefect_cli, "automation", "create", "--from-file", str(tmp_path / "resolved.yaml")],
                             env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stdout + created.stderr
    notify = client.read_deployment_by_name(NOTIFY).id
    newest = client.read_automations_by_name(STALLED)[0]
    assert [a.deployment_id for a in newest.actions if isinstance(a, RunDeployment)] == [notify]

    applied = subprocess.run([sys.executable, "-m", "deployments.automations"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == [describe(_one(client, name), {notify: NOTIFY})
                                           for name in (ESCALATION, STALLED)]
    for automation in client.read_automations():
        assert [a.deployment_id for a in automation.actions if isinstance(a, RunDeployment)] == [notify]
    assert {a.name: a.id for a in client.read_automations()} == ours  # the copies went, ours stayed


def test_the_sweep_alert_fires_on_a_failed_run_and_on_a_stall_after_an_edit_is_reapplied(
        client: SyncPrefectClient, tmp_path: Path) -> None:
    before = {a.name: a.id for a in ensure_automations(client)}
    edited_at = datetime.now(UTC) - timedelta(seconds=1)  # alerts from before the edit do not count
    # The operator's edit: a 10 s window (Prefect's minimum for proactive triggers) instead of 120 s.
    edited = tmp_path / "automations.yaml"
    edited.write_text(AUTOMATIONS_YAML.read_text().replace("within: 120", "within: 10"))
    after = ensure_automations(client, edited)
    assert {a.name: a.id for a in after} == before  # updated in place, not recreated
    stall = _one(client, STALLED).trigger
    assert isinstance(stall, CompoundTrigger) and stall.triggers[1].within == timedelta(seconds=10)  # type: ignore[union-attr]

    sweep = client.create_flow_run_from_deployment(client.read_deployment_by_name(SWEEP).id)
    result: OrchestrationResult[Any] = client.set_flow_run_state(sweep.id, Failed(message="database unavailable"),
                                                                 force=True)
    assert result.state is not None
    failed_event = str(result.state.id)  # Prefect gives a state-change event its state's id

    def alerts() -> list[dict[str, Any]]:
        return [r.parameters for r in _notify_runs(client) if r.parameters.get("reason") == "urgent-sweep-stalled"
                and r.created is not None and r.created >= edited_at]

    found = eventually(alerts, until=lambda found: any(p["event_id"] != failed_event for p in found)
                       and any(p["event_id"] == failed_event for p in found),
                       within=60, what="an alert for the failed sweep run and one for the stall")
    for parameters in found:
        assert parameters["number"] is None and parameters["level"] is None
        UUID(parameters["event_id"])  # the stall's key is its firing's id: a UUID, one per alert
    assert sum(p["event_id"] == failed_event for p in found) == 1
