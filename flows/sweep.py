"""The escalation sweep: fire every due timer, tell operations, deliver what is owed.

Scheduled every 30 seconds (deployments/), it catches up after downtime by itself: a
sweep fires whatever fell due while nothing ran, each timer once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger, task

from desk.timers import Fired
from flows.access import local_minute, notifier, open_desk
from flows.publish import publish_sweep


def _run_name() -> str:
    return f"sweep-{local_minute(datetime.now(UTC))}"


@task(name="fire-due-timers")
def fire_due(limit: int, batch: int) -> tuple[list[Fired], str]:
    now = datetime.now(UTC)
    return open_desk().fire_due_timers(now, limit=limit, batch=batch), local_minute(now)


@task(name="deliver-notifications", retries=2, retry_delay_seconds=5)
def deliver() -> tuple[int, int]:
    result = open_desk().deliver_notifications(notifier(), datetime.now(UTC))
    return len(result.sent), len(result.failed)


@flow(name="escalation-sweep", flow_run_name=_run_name, timeout_seconds=900)
def escalation_sweep(limit: int = 10_000, batch: int = 200) -> dict[str, int]:
    """Fires due stage deadlines along the escalation ladder, evidence windows and callbacks."""
    logger = get_run_logger()
    fired, swept_at = fire_due(limit, batch)
    publish_sweep(fired, swept_at)
    sent, failed = deliver()
    summary = {
        "fired": len(fired),
        "escalations": sum(1 for f in fired if f.kind == "escalation"),
        "notifications_sent": sent,
        "notifications_failed": failed,
    }
    logger.info("swept at %s: %s", swept_at, summary)
    return summary
