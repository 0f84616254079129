"""`notify-duty-manager`: what the shipped Prefect automations run (deployments/automations.yaml).

An urgent complaint escalated to level 2 or more, or an urgent sweep that failed or stalled,
owes the duty manager on duty a notice. The notice goes through the desk's outbox, keyed by
the Prefect event that asked for it, so an automation that fires twice for one event (Prefect
events are delivered at least once) still sends one notice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import State, flow, get_run_logger

from desk.errors import DeskError
from flows.access import failed, local_second, notifier, open_desk

REASONS = {
    "urgent-escalation": "an urgent complaint escalated",
    "urgent-sweep-stalled": "the urgent sweep failed or has not completed",
}


def _run_name() -> str:
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    about = parameters.get("number") or parameters.get("reason", "?")
    return f"{about} {local_second(datetime.now(UTC))}"


@flow(name="notify-duty-manager", flow_run_name=_run_name, timeout_seconds=300)
def notify_duty_manager(reason: str, event_id: str, number: str | None = None,
                        level: int | None = None) -> dict[str, int] | State:
    """Owes the duty manager(s) on duty a notice (once per event) and delivers the urgent outbox."""
    if reason not in REASONS:
        return failed(DeskError(f"reason: '{reason}' is not one of {', '.join(REASONS)}"))
    now = datetime.now(UTC)
    try:
        desk = open_desk()
        added = desk.alert_duty_managers(reason=reason, key=f"{reason}:{event_id}", now=now, number=number,
                                         level=level)
        delivery = desk.deliver_notifications(notifier(), now, tiers=["urgent"])
    except DeskError as error:
        return failed(error)
    subject = f"{number} at level {level}" if number else "the urgent sweep"
    get_run_logger().info("Duty manager told that %s (%s): %d new notice%s, %d sent, %d to retry.",
                          REASONS[reason], subject, added, "" if added == 1 else "s", len(delivery.sent),
                          len(delivery.failed))
    return {"added": added, "sent": len(delivery.sent), "failed": len(delivery.failed)}
