"""Serve the deployments on one machine: what `desk up` runs, one process per tier.

The same deployments as prefect.yaml declares for a work pool, with the same schedules (a test
keeps the two equal). On a work pool, queue priorities keep urgent runs first when workers are
saturated; here each tier has a served process of its own, so a long general sweep never
holds a slot an urgent run needs. `python -m deployments.serve [--tier T]` against a running
Prefect server serves every tier in one process, or one tier.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from deployments.schedules import ZONE, policies_in, schedules_for
from desk.config import Settings
from desk.lanes import LANES, Lane
from flows.notify import notify_duty_manager
from flows.report import daily_report
from flows.sweep import escalations, revisit_callbacks
from flows.whatif import policy_whatif
from policies import Policy
from states import Family, Tier

FAMILIES = [f.value for f in Family]
# A run drains its lane: after an outage a general backlog of 100,000 is fired by one run (about
# two minutes), not 10,000 per scheduled run for an hour. Batches of 200 keep each transaction short.
SWEEP_PARAMETERS = {"limit": 100_000, "batch": 200}
DESCRIPTIONS = {
    "escalations": "Fires the {tier} tier's due stage deadlines along the escalation ladder (reminder, overdue "
                   "notice, censure) and its evidence windows; publishes what it fired and what is due next, "
                   "complaint.escalated events, and delivers the tier's notices.",
    "callbacks": "Fires the {tier} tier's due revisit callbacks (回访) and the expiry of their last attempt; "
                 "publishes what it fired and what is due next, complaint.callback-due events, and delivers "
                 "the tier's notices.",
}
WHATIF = "on-request"  # policy-whatif/on-request, run by the console for a manager's draft
NOTIFY = "on-urgent-escalation"  # notify-duty-manager/on-urgent-escalation, run by the automations


def sweep_deployment(lane: Lane, policies: list[Policy]) -> RunnerDeployment:
    flow = escalations if lane.job == "escalations" else revisit_callbacks
    return made(flow.to_deployment(
        name=lane.tier,
        schedules=schedules_for(lane, policies),
        parameters={"tier": lane.tier, **SWEEP_PARAMETERS},
        tags=["complaint-desk", f"tier:{lane.tier}", f"job:{lane.job}", *FAMILIES],
        description=DESCRIPTIONS[lane.job].format(tier=lane.tier),
        # One sweep of a lane at a time: a slow sweep is not overtaken by the next one.
        concurrency_limit=1,
        # Import by module name: the runner finds the flow wherever it is started from.
        entrypoint_type=EntrypointType.MODULE_PATH,
    ))


def made(deployment: object) -> RunnerDeployment:
    """`to_deployment` returns a coroutine only when called from async code; never here."""
    assert isinstance(deployment, RunnerDeployment), deployment
    return deployment


def deployments(policy_dir: Path | None = None) -> dict[str, list[RunnerDeployment]]:
    """Every deployment, by the tier whose process serves it (reports with general)."""
    policies = policies_in(policy_dir or Settings.from_env().policy_dir)
    by_tier: dict[str, list[RunnerDeployment]] = {tier.value: [] for tier in Tier}
    for lane in LANES:
        by_tier[lane.tier].append(sweep_deployment(lane, policies))
    by_tier[Tier.URGENT.value].append(made(notify_duty_manager.to_deployment(
        name=NOTIFY, tags=["complaint-desk", "tier:urgent", *FAMILIES], entrypoint_type=EntrypointType.MODULE_PATH,
        description="Tells the duty manager on duty, once per event, of an urgent escalation at level 2 or "
                    "more, or of an urgent sweep that failed or stalled (run by the shipped automations).")))
    by_tier[Tier.GENERAL.value] += [
        made(daily_report.to_deployment(
            name=f"daily-{family}", parameters={"family": family},
            schedules=[Cron("0 8 * * *", timezone=ZONE)],  # 08:00 in the policy's zone, every day
            tags=["complaint-desk", family], entrypoint_type=EntrypointType.MODULE_PATH,
            description=f"SLA compliance, overdue, escalations, reopen and satisfaction rates: {family}",
        ))
        for family in FAMILIES
    ]
    by_tier[Tier.GENERAL.value].append(made(policy_whatif.to_deployment(
        name=WHATIF, tags=["complaint-desk", *FAMILIES], entrypoint_type=EntrypointType.MODULE_PATH,
        description="A draft policy replayed against recent complaints, asked from the console's workbench "
                    "(parameter replay: its number; the draft stays in the desk).")))
    return by_tier


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=[t.value for t in Tier], help="serve only this tier's deployments")
    args = parser.parse_args(argv)
    groups = deployments()
    chosen = [d for tier, group in groups.items() if args.tier in (None, tier) for d in group]
    serve(*chosen, print_starting_message=True)


if __name__ == "__main__":
    main()
