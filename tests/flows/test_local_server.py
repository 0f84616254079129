"""The real thing: a local Prefect server started as `desk up` starts it, a tier's deployments
served in their own process, one sweep run through its deployment, read back through the client;
and `desk up` itself: six sweep deployments, the duty manager's, the two automations, stopped
together."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import prefect.settings
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.deployments import run_deployment
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.exceptions import ObjectNotFound

from desk.config import Settings
from desk.prefect_server import PrefectServer
from desk.service import Desk
from flows.publish import ESCALATED
from tests.flows.test_sweep_flow import UNTRIAGED, escalated, escalations, eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SWEEPS = [f"{flow}/{tier}" for flow in ("escalations", "revisit-callbacks")
          for tier in ("urgent", "important", "general")]


def _deployment_exists(client: SyncPrefectClient, name: str = "escalations/urgent") -> bool:
    try:
        client.read_deployment_by_name(name)
    except ObjectNotFound:
        return False
    return True


def test_the_served_sweep_deployment_runs_and_reports(tmp_path: Path) -> None:
    desk_env = {"DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    received = datetime.now(UTC) - timedelta(hours=2)
    desk = Desk.open(Settings(database_url=desk_env["DESK_DATABASE_URL"], home=tmp_path,
                              policy_dir=Settings.from_env().policy_dir, user=None))
    number = desk.file(actor="li-na", now=received, received_at=received, family="property",
                       complainant={"name": "测试", "phone": "13900000000", "description": "漏水"}).number
    desk.engine.dispose()

    server = PrefectServer(home=tmp_path / "prefect", port=_free_port())
    with server:
        env = {**os.environ, **server.environment(), **desk_env}
        served = subprocess.Popen([sys.executable, "-m", "deployments.serve", "--tier", "urgent"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
                with get_client(sync_client=True) as client:  # the serving process registers it first
                    eventually(lambda: _deployment_exists(client), until=bool, within=120,
                               what="the served process to register escalations/urgent")
                run = run_deployment("escalations/urgent", timeout=240)
                assert run.state is not None and run.state.is_completed(), run.state
                assert set(run.tags) >= {"complaint-desk", "tier:urgent", "property", "enterprise"}
                with get_client(sync_client=True) as client:
                    named = client.read_flow_run(run.id).name  # renamed by the run once it knew
                    assert re.fullmatch(r"urgent \d\d:\d\d:\d\d · (\d+ \w+(, )?)+|urgent \d\d:\d\d:\d\d · nothing due",
                                        named), named
                    artifacts = {a.key: a for a in client.read_artifacts() if a.flow_run_id == run.id}
                    assert {"escalations-urgent", "next-due-escalations-urgent"} <= set(artifacts)
                    fired = [a for a in client.read_artifacts() if a.key == "escalations-urgent"]
                    assert any(number in str(a.data) for a in fired)  # by this run or a scheduled one
                    # Every escalation on this server, not only this run's: the schedule may sweep
                    # first, and each timer fires once whichever run fires it.
                    wanted = EventFilter(event=EventNameFilter(name=[ESCALATED]))
                    expected = escalated(number, *UNTRIAGED)
                    eventually(lambda: client.read_events(wanted, limit=50).events,
                               until=lambda found: escalations(found) >= expected,
                               what=f"the {expected.total()} escalations of {number}")
                    events = client.read_events(wanted, limit=50).events  # counted once all have come
            assert escalations(events) == expected  # each once, nothing else
        finally:
            served.terminate()
            served.wait(timeout=30)
    assert not server.healthy()  # stopped with the test, as Ctrl-C stops `desk up`


def test_desk_up_serves_and_stops_everything_it_started(tmp_path: Path) -> None:
    import signal

    port, api_port = _free_port(), _free_port()
    env = {**os.environ, "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    up = subprocess.Popen([sys.executable, "-m", "desk", "up", "--port", str(port), "--api-port", str(api_port)],
                          env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = PrefectServer(home=tmp_path / "prefect", port=port)
    try:
        eventually(server.healthy, until=bool, within=120, what="the Prefect server `desk up` starts to answer")
        api = {prefect.settings.PREFECT_API_URL: server.api_url}
        with prefect.settings.temporary_settings(updates=api), get_client(sync_client=True) as client:
            for name in [*SWEEPS, "notify-duty-manager/on-urgent-escalation", "daily-report/daily-property"]:
                eventually(lambda n=name: _deployment_exists(client, n), until=bool, within=180,
                           what=f"`desk up` to register {name}")
            automations = eventually(lambda: client.read_automations(), until=lambda found: len(found) >= 2,
                                     within=120, what="`desk up` to create the two automations")
            tags = {name: set(client.read_deployment_by_name(name).tags) for name in SWEEPS}
            # A run of each of the six, on demand: each tier's served process runs its own.
            with prefect.settings.temporary_settings(updates=api):
                asked = {name: run_deployment(name, timeout=0) for name in SWEEPS}
            ended = eventually(lambda: {name: client.read_flow_run(run.id) for name, run in asked.items()},
                               until=lambda found: all(r.state and r.state.is_final() for r in found.values()),
                               within=240, what="a run of each of the six sweep deployments to end")
            published = {(a.flow_run_id, a.key) for a in client.read_artifacts()}
        # Beside the flows, the HTTP API: it answers, and refuses a caller without a token.
        unsigned = eventually(lambda: _status(f"http://127.0.0.1:{api_port}/api/v1/board"), until=lambda s: s > 0,
                              within=60, what="the API `desk up` serves to answer")
        up.send_signal(signal.SIGTERM)  # what a service manager sends; Ctrl-C takes the same path
        output, _ = up.communicate(timeout=90)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, output
    assert "Prefect started" in output and "Prefect server stopped" in output
    assert unsigned == 401 and f"HTTP API at http://127.0.0.1:{api_port}/api/v1" in output
    assert sorted(a.name for a in automations) == ["urgent-escalation-to-duty-manager",
                                                   "urgent-sweep-stalled-or-failed"]
    assert "automation: urgent-escalation-to-duty-manager" in output
    assert all(f"tier:{name.split('/')[1]}" in found for name, found in tags.items()), tags
    for name, run in ended.items():
        flow, tier = name.split("/")
        job = "escalations" if flow == "escalations" else "callbacks"
        assert run.state is not None and run.state.is_completed(), (name, run.state)
        assert run.name.startswith(f"{tier} ") and {(run.id, f"{job}-{tier}"), (run.id, f"next-due-{job}-{tier}")} <= \
            published, name
    assert not server.healthy()
    assert (tmp_path / "desk.db").exists()  # migrations ran before serving
    # One served process per tier, each logging apart, none left running.
    assert sorted(p.name for p in (tmp_path / "prefect").glob("served-*.log")) == [
        "served-general.log", "served-important.log", "served-urgent.log"]
    assert not _processes_with(f"DESK_HOME={tmp_path}")


def _status(url: str) -> int:
    """The answer's status, or 0 while nothing listens yet."""
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.TransportError:
        return 0


def _processes_with(setting: str) -> list[int]:
    """Processes still running with this environment variable (the served tiers had it)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and setting.encode() in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return [pid for pid in found if pid != os.getpid()]
