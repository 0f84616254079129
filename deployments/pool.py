"""The process work pool and its tier queues, as deployments/prefect.yaml declares them.

`python -m deployments.pool` (against PREFECT_API_URL) creates the pool when missing and
creates or updates each queue's priority and concurrency limit, so the YAML stays the one
place they are written. Run it before `prefect deploy --prefect-file deployments/prefect.yaml --all`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound

PREFECT_YAML = Path(__file__).parent / "prefect.yaml"
POOL = "complaint-desk"


@dataclass(frozen=True)
class Queue:
    name: str
    priority: int
    concurrency_limit: int | None


def declared_queues(path: Path = PREFECT_YAML) -> list[Queue]:
    definitions: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))["definitions"]
    return [Queue(q["name"], q["priority"], q.get("concurrency_limit")) for q in definitions["work_queues"]]


def ensure_pool(client: SyncPrefectClient, pool: str = POOL, path: Path = PREFECT_YAML) -> list[Queue]:
    """Creates the pool (process type) if missing; sets every declared queue. Idempotent."""
    from prefect.workers.process import ProcessWorker

    try:
        client.read_work_pool(pool)
    except ObjectNotFound:
        client.create_work_pool(WorkPoolCreate(
            name=pool, type="process", description="Complaint Desk: sweeps, reports and duty notices",
            base_job_template=ProcessWorker.get_default_base_job_template()))
    queues = declared_queues(path)
    for queue in queues:
        try:
            found = client.read_work_queue_by_name(queue.name, work_pool_name=pool)
        except ObjectNotFound:
            client.create_work_queue(name=queue.name, work_pool_name=pool, priority=queue.priority,
                                     concurrency_limit=queue.concurrency_limit)
        else:
            client.update_work_queue(found.id, priority=queue.priority, concurrency_limit=queue.concurrency_limit)
    return queues


def main() -> None:
    with get_client(sync_client=True) as client:
        for queue in ensure_pool(client):
            print(f"{POOL}/{queue.name}: priority {queue.priority}, at most {queue.concurrency_limit} at once")


if __name__ == "__main__":
    main()
