"""The escalation sweep: fire every due timer, tell operations, deliver what is owed.

Scheduled every 30 seconds (deployments/), it catches up after downtime by itself: a
sweep fires whatever fell due while nothing ran, each timer once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from prefect import State, flow, get_run_logger, task
from prefect.states import Failed

from desk.errors import DeskError
from desk.timers import Fired
from flows.access import failed, local_minute, notifier, open_desk
from flows.publish import publish_sweep


def _run_name() -> str:
    return f"sweep-{local_minute(datetime.now(UTC))}"


@task(name="fire-due-timers")
def fire_due(limit: int, batch: int) -> tuple[list[Fired], str] | State:
    now = datetime.now(UTC)
    try:
        return open_desk().fire_due_timers(now, limit=limit, batch=batch), local_minute(now)
    except DeskError as error:
        return failed(error)


@task(name="deliver-notifications", retries=2, retry_delay_seconds=5)
def deliver() -> tuple[int, int] | State:
    try:
        result = open_desk().deliver_notifications(notifier(), datetime.now(UTC))
    except DeskError as error:
        return failed(error)
    return len(result.sent), len(result.failed)


@flow(name="escalation-sweep", flow_run_name=_run_name, timeout_seconds=900)
def escalation_sweep(limit: int = 10_000, batch: int = 200) -> dict[str, int] | State:
    """Fires due stage deadlines along the escalation ladder, evidence windows and callbacks."""
    logger = get_run_logger()
    firing = fire_due(limit, batch, return_state=True)
    if firing.is_failed():  # its one sentence becomes the run's; what was fired is saved, once
        return Failed(message=firing.message)
    fired, swept_at = cast(tuple[list[Fired], str], firing.result())
    publish_sweep(fired, swept_at)
    delivering = deliver(return_state=True)
    if delivering.is_failed():  # the notices stay in the outbox for the next sweep
        return Failed(message=delivering.message)
    sent, undelivered = cast(tuple[int, int], delivering.result())
    summary = {
        "fired": len(fired),
        "escalations": sum(1 for f in fired if f.kind == "escalation"),
        "notifications_sent": sent,
        "notifications_failed": undelivered,
    }
    logger.info("swept at %s: %s", swept_at, summary)
    return summary
