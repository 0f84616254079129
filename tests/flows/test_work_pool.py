"""Scale-out as production runs it: Prefect's own database on PostgreSQL, the desk on PostgreSQL,
the pool and tier queues of deployments/prefect.yaml created by `python -m deployments.pool`,
the deployments deployed by `prefect deploy --all`, and process workers on the `urgent` and
`general` queues only. Each tier's sweep runs on its own queue's worker and fires its tier's
timers, each once; the important tier, with no worker on its queue, waits untouched."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import prefect.settings
import pytest
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment
from sqlalchemy import func, select

from deployments.pool import POOL, ensure_pool
from desk.config import Settings
from desk.intake import Intake
from desk.prefect_server import PrefectServer
from desk.service import Desk
from desk.store.tables import events, timers
from policies.policy import SHIPPED
from tests.flows.test_local_server import _free_port
from tests.flows.test_sweep_flow import eventually
from tests.integration.conftest import _postgres_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
PERSON = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A PostgreSQL database of its own for Prefect, through asyncpg as Prefect needs."""
    for url in _postgres_database():
        yield url.replace("postgresql+psycopg://", "postgresql+asyncpg://")


def _file_mixed_tiers(desk: Desk, now: datetime) -> dict[str, int]:
    """Untriaged complaints (the urgent lane), and general and important ones filed ten days ago:
    each has due timers in its lane. Returns how many timers are due in each lane tier."""
    untriaged = now - timedelta(hours=2)
    desk.file_many([Intake("property", "phone", f"u{i}", untriaged, PERSON) for i in range(300)],
                   actor="li-na", now=untriaged)
    earlier = now - timedelta(days=10)
    for kind, count in (("cleaning_late", 200), ("service_attitude", 100)):
        for filed in desk.file_many([Intake("property", "phone", f"{kind}{i}", earlier, PERSON)
                                     for i in range(count)], actor="li-na", now=earlier):
            desk.classify(filed.number, actor="li-na", now=now - timedelta(minutes=5), type=kind)
    with desk.reading() as uow:
        rows = uow.connection.execute(
            select(timers.c.tier, func.count()).where(timers.c.fired_at.is_(None), timers.c.done_at.is_(None),
                                                      timers.c.due_at <= now).group_by(timers.c.tier))
        return {tier: count for tier, count in rows}


def test_workers_on_the_urgent_and_general_queues_sweep_their_tiers_once(
        postgres_url: str, prefect_database: str, tmp_path: Path) -> None:
    desk = Desk.open(Settings(database_url=postgres_url, home=tmp_path, policy_dir=SHIPPED, user=None))
    filed_at = datetime.now(UTC)
    due = _file_mixed_tiers(desk, filed_at)
    assert set(due) == {"urgent", "important", "general"} and all(due.values()), due

    server = PrefectServer(home=tmp_path / "prefect", port=_free_port(), database_url=prefect_database)
    env = {**os.environ, **server.environment(), "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": postgres_url,
           "DESK_PROJECT_DIR": str(ROOT)}
    workers: list[subprocess.Popen[str]] = []
    with server, prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
        with get_client(sync_client=True) as client:
            ensure_pool(client)
            queues = {q.name: q for q in client.read_work_queues(work_pool_name=POOL)}
        deployed = subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all",
                                   "--prefect-file", "deployments/prefect.yaml"],
                                  env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
        try:
            workers = [subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                                         "--work-queue", queue, "--name", f"{queue}-worker", "--limit", "2"],
                                        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                       for queue in ("urgent", "general")]
            runs = {tier: run_deployment(f"escalations/{tier}", timeout=0)
                    for tier in ("urgent", "important", "general")}
            with get_client(sync_client=True) as client:
                final = eventually(lambda: {t: client.read_flow_run(r.id) for t, r in runs.items()},
                                   until=lambda found: all(found[t].state and found[t].state.is_final()
                                                           for t in ("urgent", "general")),
                                   within=300, what="the urgent and general sweeps to end on their workers")
                important = client.read_flow_run(runs["important"].id)  # read after both others ended
                artifacts = {(a.flow_run_id, a.key) for a in client.read_artifacts()}
                deployments = {d.name: d for d in client.read_deployments()}
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=60)

    # The pool's queues, as prefect.yaml declares them: urgent first.
    assert {name: q.priority for name, q in queues.items() if name != "default"} == {
        "urgent": 1, "important": 2, "general": 3}
    assert all(d.work_queue_name == d.parameters.get("tier", d.work_queue_name) for d in deployments.values())
    for tier in ("urgent", "general"):
        run = final[tier]
        assert run.state is not None and run.state.is_completed(), (tier, run.state)
        assert run.work_queue_name == tier and run.name.startswith(f"{tier} ")
        assert (run.id, f"escalations-{tier}") in artifacts and (run.id, f"next-due-escalations-{tier}") in artifacts
    # No worker serves the important queue: its run waits, whatever the other tiers do.
    assert important.state is not None and not important.state.is_final() and important.work_queue_name == "important"

    with desk.reading() as uow:
        left = {tier: n for tier, n in uow.connection.execute(
            select(timers.c.tier, func.count()).where(timers.c.fired_at.is_(None), timers.c.done_at.is_(None),
                                                      timers.c.due_at <= filed_at).group_by(timers.c.tier))}
        escalated = Counter((row.complaint_id, row.data["stage"], row.data["level"]) for row in uow.connection.execute(
            select(events.c.complaint_id, events.c.data).where(events.c.name == "Escalated")))
    desk.engine.dispose()
    print(f"\ndue before: {due}; left after: {left}; escalations recorded: {escalated.total()}")
    assert "urgent" not in left and "general" not in left  # every due timer of both fired
    assert left.get("important") == due["important"]  # untouched
    assert all(n == 1 for n in escalated.values())  # scheduled runs and ours overlapped: none fired twice
