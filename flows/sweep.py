"""The per-tier sweeps: fire one lane's due timers, tell operations, deliver what is owed.

Two flows, each deployed once per tier (deployments/): `escalations` fires stage deadlines
along the escalation ladder and evidence windows; `revisit-callbacks` fires revisit
callbacks (回访) and their expiry. Each deployment runs on its tier's schedule from the
policy and on its tier's work queue, so urgent timers never wait behind a general backlog.
A sweep catches up after downtime by itself: it fires whatever fell due while nothing ran,
each timer once, whoever else is sweeping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from prefect import State, flow, get_run_logger, task
from prefect.states import Failed

from desk.errors import DeskError
from desk.lanes import Lane
from desk.timers import ESCALATING, Fired
from flows.access import failed, local_second, notifier, open_desk, rename_run
from flows.publish import publish_schedule, publish_sweep, summary_of, title_of


def _run_name() -> str:
    """`urgent 19:31:28`: the tier and the second, unique per deployment (one run at a time)."""
    from prefect.runtime import flow_run

    return f"{flow_run.parameters.get('tier', '?')} {local_second(datetime.now(UTC))}"


@task(name="fire-due-timers")
def fire_due(lane: Lane, limit: int, batch: int) -> tuple[list[Fired], datetime] | State:
    from prefect.runtime import flow_run

    now = datetime.now(UTC)
    try:
        # The run's id goes with every timer it fires: the operations page links each escalation to this run.
        return open_desk().fire_due_timers(now, limit=limit, batch=batch, lanes=[lane], office_hours=True,
                                           run_id=flow_run.id), now
    except DeskError as error:
        return failed(error)


@task(name="deliver-notifications", retries=2, retry_delay_seconds=5)
def deliver(tier: str) -> tuple[int, int] | State:
    try:
        result = open_desk().deliver_notifications(notifier(), datetime.now(UTC), tiers=[tier])
    except DeskError as error:
        return failed(error)
    return len(result.sent), len(result.failed)


@task(name="publish-next-due")
def look_ahead(lane: Lane) -> None:
    publish_schedule(open_desk().scheduled(lane, datetime.now(UTC)))


def sweep(lane: Lane, limit: int, batch: int) -> dict[str, int] | State:
    """One run of a lane's deployment: fire, publish, deliver, look ahead; then say it in a sentence."""
    logger = get_run_logger()
    firing = fire_due(lane, limit, batch, return_state=True)
    if firing.is_failed():  # its one sentence becomes the run's; what was fired is saved, once
        return Failed(message=firing.message)
    fired, swept_at = cast(tuple[list[Fired], datetime], firing.result())
    publish_sweep(lane, fired, swept_at)
    delivering = deliver(lane.tier, return_state=True)
    if delivering.is_failed():  # the notices stay in the outbox for the next sweep
        return Failed(message=delivering.message)
    sent, undelivered = cast(tuple[int, int], delivering.result())
    look_ahead(lane)
    logger.info("%s", summary_of(lane, fired, swept_at, sent, undelivered))
    rename_run(title_of(lane, fired, swept_at))
    return {"fired": len(fired), "escalations": sum(1 for f in fired if f.kind in ESCALATING),
            "callbacks": sum(1 for f in fired if f.kind == "revisit"),
            "notifications_sent": sent, "notifications_failed": undelivered}


@flow(name="escalations", flow_run_name=_run_name, timeout_seconds=900)
def escalations(tier: str = "urgent", limit: int = 100_000, batch: int = 200) -> dict[str, int] | State:
    """Fires the tier's due stage deadlines along the escalation ladder, and its evidence windows."""
    return sweep(Lane(tier, "escalations"), limit, batch)


@flow(name="revisit-callbacks", flow_run_name=_run_name, timeout_seconds=900)
def revisit_callbacks(tier: str = "general", limit: int = 100_000, batch: int = 200) -> dict[str, int] | State:
    """Fires the tier's due revisit callbacks (回访) and the expiry of their last attempt."""
    return sweep(Lane(tier, "callbacks"), limit, batch)
