"""How often each tier's timers are swept: the `orchestration:` section of a tier.

Managers set it; Prefect's deployments `escalations/<tier>` and `revisit-callbacks/<tier>`
take their schedules from it. A sweep interval is clock time (a sweep that waits for
business hours is said with `callbacks_in`), so it has its own small grammar: seconds are
allowed here, unlike in deadlines, and working time is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from policies.problems import quoted
from states import Tier

EVERY_HELP = "an interval like 'every 15 seconds', 'every minute' or 'every 5 minutes' (5 seconds to 1 hour)"
_EVERY = re.compile(r"^\s*(every\s+)?(?:(?P<n>\d+)\s*)?(?P<unit>seconds?|s|minutes?|min|hours?|h)\s*$")
_SECONDS = {"s": 1, "second": 1, "seconds": 1, "min": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600,
            "hours": 3600}
# Faster than every 5 s, a sweep's own cost (a Prefect run is ~4.5 s of CPU, PREFECT-NOTES) would
# never let the worker rest; slower than hourly, an urgent ladder could not be kept at all.
FASTEST, SLOWEST = timedelta(seconds=5), timedelta(hours=1)

CallbackHours = Literal["business_hours", "any_time"]


@dataclass(frozen=True, slots=True)
class Every:
    """A sweep interval (clock time)."""

    seconds: int

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        for unit, size in (("hour", 3600), ("minute", 60)):
            if self.seconds % size == 0:
                n = self.seconds // size
                return f"every {unit}" if n == 1 else f"every {n} {unit}s"
        return f"every {self.seconds} seconds"


def parse_every(text: object) -> Every:
    """Parses a sweep interval; raises ValueError naming what was wrong."""
    match = _EVERY.match(text.lower()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected {EVERY_HELP}, got {quoted(text)}")
    seconds = int(match["n"] or 1) * _SECONDS[match["unit"]]
    if not FASTEST.total_seconds() <= seconds <= SLOWEST.total_seconds():
        raise ValueError(f"{quoted(text)} is outside 5 seconds to 1 hour: {EVERY_HELP}")
    return Every(seconds)


@dataclass(frozen=True, slots=True)
class Orchestration:
    """One tier's sweeps: escalation ladders, stage deadlines and evidence windows every
    `escalations`; revisit callbacks (回访) and their expiry every `callbacks`, at any time or only
    in the calendar's business hours on its working days."""

    escalations: Every
    callbacks: Every
    callbacks_in: CallbackHours
    # Quiet hours: when the tier's notices to staff and complainants may go out.
    notices_in: CallbackHours = "business_hours"


# The defaults, when a tier has no `orchestration:` section.
DEFAULTS = {
    # Our choice, from the shortest urgent deadline: lift entrapment dispatch is 5 minutes (industry),
    # its first rung 20% before it (12345 催办) is a minute's warning; a sweep every 15 s, started
    # ~7.5 s late by Prefect (PREFECT-NOTES), keeps that notice within half of it.
    # Callbacks (回访) are phone calls: made in office hours, whatever the tier (12345: the day after).
    # Notices of an urgent complaint go at once, night or holiday; the other tiers' wait for business
    # hours (Zammad #4432: escalation mail at midnight is what people complain of).
    Tier.URGENT: Orchestration(Every(15), Every(300), "business_hours", notices_in="any_time"),
    # Our choice: important deadlines are 24 hours and longer (industry: first response within 24 h).
    Tier.IMPORTANT: Orchestration(Every(60), Every(300), "business_hours"),
    # Our choice: general deadlines are 24 hours and longer; 12345's 3 working days for requests.
    Tier.GENERAL: Orchestration(Every(300), Every(300), "business_hours"),
}
