"""The real thing: a local Prefect server started as `desk up` starts it, the deployments served
in their own process, one sweep run through the deployment, read back through the client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def _deployment_exists(client: SyncPrefectClient) -> bool:
    try:
        client.read_deployment_by_name("escalation-sweep/every-30s")
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
        served = subprocess.Popen([sys.executable, "-m", "deployments.serve"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
                with get_client(sync_client=True) as client:  # the serving process registers it first
                    eventually(lambda: _deployment_exists(client), until=bool, within=120,
                               what="the served process to register escalation-sweep/every-30s")
                run = run_deployment("escalation-sweep/every-30s", timeout=240)
                assert run.state is not None and run.state.is_completed(), run.state
                assert run.name.startswith("sweep-") and set(run.tags) >= {"complaint-desk", "property"}
                with get_client(sync_client=True) as client:
                    artifacts = [a for a in client.read_artifacts() if a.key == "escalation-sweep"]
                    assert any(number in str(a.data) for a in artifacts)
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

    port = _free_port()
    env = {**os.environ, "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    up = subprocess.Popen([sys.executable, "-m", "desk", "up", "--port", str(port)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = PrefectServer(home=tmp_path / "prefect", port=port)
    try:
        eventually(server.healthy, until=bool, within=120, what="the Prefect server `desk up` starts to answer")
        api = {prefect.settings.PREFECT_API_URL: server.api_url}
        with prefect.settings.temporary_settings(updates=api), get_client(sync_client=True) as client:
            eventually(lambda: _deployment_exists(client), until=bool, within=120,
                       what="`desk up` to register escalation-sweep/every-30s")
        up.send_signal(signal.SIGTERM)  # what a service manager sends; Ctrl-C takes the same path
        output, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, output
    assert "Prefect started" in output and "Prefect server stopped" in output
    assert not server.healthy()
    assert (tmp_path / "desk.db").exists()  # migrations ran before serving
