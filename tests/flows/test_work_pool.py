"""Scale-out as documented: desk on PostgreSQL, a process work pool with two workers running
sweeps at the same time over the same 5,001 due timers; each timer fires exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import prefect.settings
import pytest
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.events import Event
from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter
from sqlalchemy import Engine, func, select, text

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
WORKERS = ("desk-worker-1", "desk-worker-2")
SUBMITTED = "prefect.worker.submitted-flow-run"  # the worker that took a run says so, once


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@contextmanager
def _starting_line(engine: Engine) -> Iterator[Callable[[], int]]:
    """Holds the timers table until the block ends, so that a sweep can start but not fire: its
    first query (SELECT ... FOR UPDATE SKIP LOCKED) waits, as SKIP LOCKED skips locked rows, not a
    locked table. EXCLUSIVE lets plain reads through. Yields how many sessions wait for the table."""
    with engine.begin() as db:
        db.execute(text("LOCK TABLE timers IN EXCLUSIVE MODE"))
        yield lambda: int(db.execute(text("SELECT count(*) FROM pg_locks "
                                          "WHERE relation = 'timers'::regclass AND NOT granted")).scalar_one())


def _run_of(event: Event) -> UUID:
    return UUID(next(r.id for r in event.related if r.role == "flow-run").removeprefix("prefect.flow-run."))


def _fired_by(client: SyncPrefectClient, run: UUID) -> int:
    """What the run's own artifact lists: a table row per timer it fired (a note when none was due)."""
    (artifact,) = client.read_artifacts(artifact_filter=ArtifactFilter(
        flow_run_id=ArtifactFilterFlowRunId(any_=[run]), key=ArtifactFilterKey(any_=["escalation-sweep"])))
    if artifact.type != "table":
        return 0
    rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    assert isinstance(rows, list), rows
    return len(rows)


def _span(run: FlowRun) -> tuple[datetime, datetime]:
    assert run.start_time is not None and run.end_time is not None, run
    return run.start_time, run.end_time


def test_two_workers_of_a_process_pool_fire_each_timer_once(postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=postgres_url, home=tmp_path, policy_dir=SHIPPED, user=None)
    desk = Desk.open(settings)
    received = datetime.now(UTC) - timedelta(hours=2)
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    desk.file_many([Intake("property", "phone", f"k{i}", received, person) for i in range(1667)],
                   actor="li-na", now=received)  # 3 triage timers each are due: 5,001

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
                                         "--name", name, "--limit", "1"], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
                       for name in WORKERS]
            # A sweep alone fires 5,001 timers in seconds; one started later could find them all
            # fired. Held at the starting line until both wait there, they race from one moment.
            with _starting_line(desk.engine) as waiting:
                runs = [run_deployment("escalation-sweep/pool-sweep", timeout=0) for _ in range(2)]
                eventually(waiting, until=lambda count: count == 2, within=180,
                           what="both sweeps to wait for the timers table at the starting line")
            with get_client(sync_client=True) as client:
                final = eventually(lambda: [client.read_flow_run(r.id) for r in runs],
                                   until=lambda found: all(r.state and r.state.is_final() for r in found),
                                   within=300, what="both sweep runs to end")
                taken = EventFilter(event=EventNameFilter(name=[SUBMITTED]),
                                    related=EventRelatedFilter(id=[f"prefect.flow-run.{r.id}" for r in runs]))
                eventually(lambda: client.read_events(taken, limit=50).events, until=lambda found: len(found) >= 2,
                           what="the workers' word on which took each run")
                submitted = client.read_events(taken, limit=50).events  # counted once both have come
                fired = {r.id: _fired_by(client, r.id) for r in final}
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
    assert all(r.state is not None and r.state.is_completed() for r in final), [r.state for r in final]
    assert {r.work_pool_name for r in final} == {"desk-pool"}

    worker_of = {_run_of(e): e.resource["prefect.resource.name"] for e in submitted}
    spans = {r.id: _span(r) for r in final}
    overlap = (min(end for _, end in spans.values()) - max(start for start, _ in spans.values())).total_seconds()
    print("\nsweep runs:", *(f"{start:%H:%M:%S.%f} - {end:%H:%M:%S.%f} ({(end - start).total_seconds():.1f} s) "
                             f"on {worker_of.get(run)}, fired {fired[run]}" for run, (start, end) in spans.items()),
          f"overlap: {overlap:.1f} s", sep="\n  ")
    # At the same time: the later run started before the earlier one ended.
    assert overlap > 0, f"the sweeps ran one after the other: {-overlap:.1f} s apart"
    # On two workers, each taking one run once; each fired a share of the timers.
    assert Counter(_run_of(e) for e in submitted) == Counter(r.id for r in final), submitted
    assert sorted(worker_of.values()) == sorted(WORKERS), worker_of
    assert all(count > 0 for count in fired.values()) and sum(fired.values()) == 5001, fired

    with desk.reading() as uow:
        fired_in_desk = uow.connection.execute(select(func.count()).select_from(timers)
                                               .where(timers.c.fired_at.is_not(None))).scalar_one()
        escalated = uow.connection.execute(select(func.count()).select_from(events)
                                           .where(events.c.name == "Escalated")).scalar_one()
    desk.engine.dispose()
    assert fired_in_desk == 5001 and escalated == 2 * 1667  # every due timer once; no escalation twice
