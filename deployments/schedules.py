"""Each lane's schedule, from the policies in force: managers set it in a tier's `orchestration:`.

A deployment sweeps one tier of every family, so it takes the most demanding setting among
the family policies: the shortest interval, and business hours only if every family keeps its
callbacks to business hours (the flow then holds back, per family, what its own calendar says
must wait: holidays and make-up workdays (调休) are beyond what a cron line can say).
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from prefect.schedules import Cron, Interval, Schedule

from desk.lanes import Lane
from policies import Policy, load_policy
from states import Family

ZONE = "Asia/Shanghai"  # the shipped policies' zone; a deployment spans families, so one zone


def policies_in(folder: Path) -> list[Policy]:
    return [load_policy(folder / f"{family.value}.yaml") for family in Family]


def schedules_for(lane: Lane, policies: list[Policy]) -> list[Schedule]:
    """The Prefect schedules of a lane's deployment."""
    plans = [p.orchestration(lane.tier) for p in policies]
    zone = policies[0].spec.timezone if policies else ZONE
    if lane.job == "escalations":
        return [Interval(min(p.escalations.seconds for p in plans), timezone=zone)]
    every = min(p.callbacks.seconds for p in plans)
    if any(p.callbacks_in == "any_time" for p in plans):
        return [Interval(every, timezone=zone)]
    opens = min(p.spec.calendar.business_hours.opens for p in policies)
    closes = max(p.spec.calendar.business_hours.closes for p in policies)
    return [Cron(line, timezone=zone) for line in business_hours_cron(opens, closes, every)]


def business_hours_cron(opens: time, closes: time, every_s: int) -> list[str]:
    """Cron lines firing every `every_s` (rounded to whole minutes, at least one) from `opens`
    until before `closes`, every day: `*/5 9-17 * * *` for 09:00-18:00 every 5 minutes. A
    half-hour opening or closing gets a line of its own (`30-59/5 9 * * *`)."""
    step = max(1, every_s // 60)
    if step >= 60:  # hourly or slower: on the hour, each hour the office is open
        first = opens.hour + (1 if opens.minute else 0)
        last = closes.hour - (0 if closes.minute else 1)
        hours = str(first) if first == last else f"{first}-{last}"
        return [f"0 {hours} * * *"] if first <= last else []
    every = "*" if step == 1 else f"*/{step}"
    lines = []
    start_hour, end_hour = opens.hour, closes.hour  # whole hours in [start_hour, end_hour)
    if opens.minute:
        lines.append(f"{opens.minute}-59/{step} {opens.hour} * * *")
        start_hour += 1
    if start_hour < end_hour:
        lines.append(f"{every} {start_hour}-{end_hour - 1} * * *" if end_hour - 1 > start_hour
                     else f"{every} {start_hour} * * *")
    if closes.minute:
        lines.append(f"0-{closes.minute - 1}/{step} {closes.hour} * * *")
    return lines
