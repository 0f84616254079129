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
from enum import StrEnum
from typing import Any

from states import Tier


class Kind(StrEnum):
    """What a timer row is for (timers.kind); desk.timers fires each kind its own way."""

    STAGE_DEADLINE = "stage_deadline"  # a stage's due time: breached when it fires
    ESCALATION = "escalation"  # a rung of the stage's ladder
    EVIDENCE_DEADLINE = "evidence_deadline"  # the respondent's window: fires the policy's on_expiry trigger
    PAUSE_CAP = "pause_cap"  # a pause has lasted as long as the policy allows: the clock runs again
    PROMISE_REMINDER = "promise_reminder"  # the time promised to the complainant is near
    PROMISE_DUE = "promise_due"  # the promised time came with no contact or resolution: escalate
    REFERRAL_DUE = "referral_due"  # a leader asked to take a hand has not answered in time
    PROGRESS_DUE = "progress_due"  # the complainant is owed word of how things stand
    REPEAT = "repeat"  # a breached stage's reminder, again every so often until it is met
    REVISIT = "revisit"  # a callback (回访) attempt is due
    REVISIT_EXPIRY = "revisit_expiry"  # the last attempt's window closed with nobody reached


CALLBACK_KINDS = (Kind.REVISIT.value, Kind.REVISIT_EXPIRY.value)
ESCALATION_KINDS = tuple(k.value for k in Kind if k.value not in CALLBACK_KINDS)
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
