"""Sweep lanes: which timers each scheduled sweep fires, so that tiers never wait on each other.

A lane is a tier and a job. The `escalations` job fires stage deadlines, escalation ladders
and evidence windows; the `callbacks` job fires revisit callbacks (回访) and their expiry. Each
lane is one Prefect deployment (`escalations/urgent`, `revisit-callbacks/general`, ...), swept
on its tier's schedule from the policy, so a backlog of general timers after an outage never
stands in front of an urgent one that fell due a second later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from states import Tier

ESCALATION_KINDS = ("stage_deadline", "escalation", "evidence_deadline")
CALLBACK_KINDS = ("revisit", "revisit_expiry")
JOBS = {"escalations": ESCALATION_KINDS, "callbacks": CALLBACK_KINDS}
FLOW_OF_JOB = {"escalations": "escalations", "callbacks": "revisit-callbacks"}  # Prefect flow names


@dataclass(frozen=True, slots=True)
class Lane:
    tier: str
    job: str

    def __post_init__(self) -> None:
        if self.tier not in {t.value for t in Tier}:
            raise ValueError(f"'{self.tier}' is not a tier (urgent, important, general)")
        if self.job not in JOBS:
            raise ValueError(f"'{self.job}' is not a sweep job (escalations, callbacks)")

    @property
    def kinds(self) -> tuple[str, ...]:
        return JOBS[self.job]

    @property
    def deployment(self) -> str:
        """The Prefect deployment that sweeps it: `escalations/urgent`, `revisit-callbacks/general`."""
        return f"{FLOW_OF_JOB[self.job]}/{self.tier}"


TIERS = tuple(tier.value for tier in Tier)  # in priority order
# Urgent first: a sweep of every lane at once (`desk sweep`) fires in this order too.
LANES = tuple(Lane(tier.value, job) for tier in Tier for job in JOBS)


def lane_tier(tier: str | None) -> str:
    """The tier whose sweeps fire a complaint's timers. Before classification nobody knows yet
    whether it is a lift entrapment or a late cleaning: its triage clock (30 minutes) is swept
    with the urgent tier, never behind a general backlog."""
    return tier or Tier.URGENT.value


def job_of(kind: str) -> str:
    return next(job for job, kinds in JOBS.items() if kind in kinds)


@dataclass(frozen=True)
class Schedule:
    """What a lane will fire next, for operations: the backlog already due, how many fall due
    within 15 minutes, an hour and a day (each count includes the shorter ones), and the soonest
    timers. Complaint numbers only."""

    lane: Lane
    at: datetime
    overdue: int
    counts: dict[str, int]
    soonest: list[dict[str, Any]]
