"""Serve every deployment in one process: the single-machine set-up that `desk up` runs.

The same deployments as prefect.yaml declares for a work pool, with the same schedules.
Run it yourself with `python -m deployments.serve` against a running Prefect server.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval
from prefect.types.entrypoint import EntrypointType

from flows.report import daily_report
from flows.sweep import escalation_sweep

SWEEP_EVERY = timedelta(seconds=30)  # urgent deadlines escalate within a minute of falling due
TAGS = ["complaint-desk", "property", "enterprise"]
ZONE = "Asia/Shanghai"


def deployments(sweep_every: timedelta = SWEEP_EVERY) -> list[RunnerDeployment]:
    sweep = escalation_sweep.to_deployment(
        name="every-30s" if sweep_every == SWEEP_EVERY else f"every-{int(sweep_every.total_seconds())}s",
        schedules=[Interval(sweep_every, timezone=ZONE)],
        parameters={"limit": 10_000, "batch": 200},
        tags=TAGS,
        description="Fires due deadlines along the escalation ladder, evidence windows and callbacks; "
                    "publishes a table artifact and complaint.escalated events; delivers the outbox.",
        # One sweep at a time per deployment: a slow sweep is not overtaken by the next one.
        concurrency_limit=1,
        # Import by module name: the runner finds the flow wherever it is started from.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    reports = [
        daily_report.to_deployment(
            name=f"daily-{family}", parameters={"family": family},
            schedules=[Cron("0 8 * * *", timezone=ZONE)],  # 08:00 in the policy's zone, every day
            tags=["complaint-desk", family], entrypoint_type=EntrypointType.MODULE_PATH,
            description=f"SLA compliance, overdue, escalations, reopen and satisfaction rates: {family}",
        )
        for family in ("property", "enterprise")
    ]
    deployments = [sweep, *reports]
    assert all(isinstance(d, RunnerDeployment) for d in deployments)  # to_deployment is sync here
    return [d for d in deployments if isinstance(d, RunnerDeployment)]


def main(sweep_every: timedelta = SWEEP_EVERY) -> None:
    serve(*deployments(sweep_every), print_starting_message=True)


if __name__ == "__main__":
    main()
