"""Scale-out as documented: desk on PostgreSQL, a process work pool with two workers running
sweeps at the same time over the same 5,001 due timers; each timer fires exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import prefect.settings
import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from sqlalchemy import func, select

from desk.config import Settings
from desk.intake import Intake
from desk.prefect_server import PrefectServer
from desk.service import Desk
from desk.store.tables import events, timers
from flows.sweep import escalation_sweep
from policies.policy import SHIPPED
from tests.flows.test_local_server import _free_port
from tests.flows.test_sweep_flow import eventually
from tests.integration.conftest import _postgres_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).parents[2]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def test_two_workers_of_a_process_pool_fire_each_timer_once(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=postgres_url, home=tmp_path, policy_dir=SHIPPED, user=None)
    desk = Desk.open(settings)
    received = datetime.now(UTC) - timedelta(hours=2)
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    desk.file_many([Intake("property", "phone", f"k{i}", received, person) for i in range(1667)],
                   actor="li-na", now=received)  # 3 triage timers each are due: 5,001
    desk.engine.dispose()

    server = PrefectServer(home=tmp_path / "prefect", port=_free_port())
    env = {**os.environ, **server.environment(), "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": postgres_url}
    workers: list[subprocess.Popen[str]] = []
    with server, prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
        subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", "desk-pool", "--type", "process"],
                       env=env, check=True, capture_output=True, timeout=120)
        escalation_sweep.from_source(source=str(ROOT), entrypoint="flows/sweep.py:escalation_sweep").deploy(
            name="pool-sweep", work_pool_name="desk-pool", parameters={"limit": 10_000, "batch": 100},
            print_next_steps=False)
        try:
            workers = [subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", "desk-pool",
                                         "--limit", "1"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, text=True) for _ in range(2)]
            runs = [run_deployment("escalation-sweep/pool-sweep", timeout=0) for _ in range(2)]
            with get_client(sync_client=True) as client:
                final = eventually(lambda: [client.read_flow_run(r.id) for r in runs],
                                   until=lambda found: all(r.state and r.state.is_final() for r in found),
                                   within=300)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
    assert all(r.state is not None and r.state.is_completed() for r in final), [r.state for r in final]
    spans = sorted((r.start_time, r.end_time) for r in final)
    print("sweep runs:", [(str(a), str(b)) for a, b in spans])
    assert {r.work_pool_name for r in final} == {"desk-pool"}

    desk = Desk.open(settings)
    with desk.reading() as uow:
        fired = uow.connection.execute(select(func.count()).select_from(timers)
                                       .where(timers.c.fired_at.is_not(None))).scalar_one()
        escalated = uow.connection.execute(select(func.count()).select_from(events)
                                           .where(events.c.name == "Escalated")).scalar_one()
    desk.engine.dispose()
    assert fired == 5001 and escalated == 2 * 1667  # every due timer once; no escalation twice
