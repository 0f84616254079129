"""Durations as managers write them: `15 minutes`, `24 hours`, `4 working days`, `-20%`.

A duration says its own basis: the word "working" counts only working time of the
policy's calendar (business hours on working days, 调休 included); without it the
clock runs 24x7. Ladder offsets are durations or percentages of the stage, signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from policies.problems import quoted

Unit = Literal["minutes", "hours", "days"]

_UNITS: dict[str, Unit] = {
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "hour": "hours", "hours": "hours", "h": "hours",
    "day": "days", "days": "days", "d": "days",
    "week": "days", "weeks": "days",
}
_DURATION = re.compile(r"^\s*(?P<n>\d+)\s*(?P<working>working\s+)?(?P<unit>[a-z]+)\s*$")
_PERCENT = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<n>\d+(?:\.\d+)?)\s*%\s*$")

DURATION_HELP = "a duration like '15 minutes', '24 hours', '3 days', '2 working hours' or '4 working days'"
OFFSET_HELP = "an offset like '-20%', '0', '+1 working day' or '-2 hours' (relative to the deadline)"


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: Unit
    working: bool

    @property
    def basis(self) -> Literal["clock", "working"]:
        return "working" if self.working else "clock"

    @property
    def minutes(self) -> int:
        """Length in minutes (a working day counts as one business day, not as minutes)."""
        return self.amount * {"minutes": 1, "hours": 60, "days": 1440}[self.unit]

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {'working ' if self.working else ''}{unit}"


def parse_duration(text: object) -> Duration:
    """Parses a positive duration; raises ValueError naming what was wrong."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError(f"expected {DURATION_HELP}, got {quoted(text)}")
    if isinstance(text, int):
        raise ValueError(f"'{text}' has no unit: write {DURATION_HELP}")
    match = _DURATION.match(text.lower())
    if not match:
        raise ValueError(f"'{text}' is not {DURATION_HELP}")
    amount, unit_word = int(match["n"]), match["unit"]
    unit = _UNITS.get(unit_word)
    if unit is None:
        raise ValueError(f"'{text}': unknown unit '{unit_word}'; use minutes, hours, days or weeks")
    if unit_word.startswith("week"):
        if match["working"]:
            raise ValueError(f"'{text}': say working days rather than working weeks")
        amount *= 7
    if amount <= 0:
        raise ValueError(f"'{text}' must be longer than zero")
    if (amount > 5 * 366 and unit == "days") or amount > 5 * 366 * 1440:
        raise ValueError(f"'{text}' is longer than five years: a deadline that far off is surely a typo")
    return Duration(amount, unit, bool(match["working"]))


@dataclass(frozen=True, slots=True)
class Offset:
    """Where a ladder step sits relative to the stage deadline: before (<0), at (0) or after (>0)."""

    sign: int  # -1, 0 or +1
    duration: Duration | None = None
    fraction: Fraction | None = None  # share of the stage's length

    def __str__(self) -> str:
        if self.sign == 0:
            return "0"
        mark = "-" if self.sign < 0 else "+"
        if self.fraction is not None:
            return f"{mark}{float(self.fraction * 100):g}%"
        return f"{mark}{self.duration}"

    @property
    def kind(self) -> str:
        return "percent" if self.fraction is not None else "duration"

    def size(self) -> float:
        """Distance from the deadline on this offset's own scale (share, or minutes)."""
        if self.fraction is not None:
            return float(self.fraction)
        return float(self.duration.minutes) if self.duration else 0.0


def parse_offset(text: object) -> Offset:
    if isinstance(text, bool):
        raise ValueError(f"expected {OFFSET_HELP}, got {quoted(text)}")
    if isinstance(text, int | float) and text == 0:
        return Offset(0)
    if not isinstance(text, str):
        raise ValueError(f"expected {OFFSET_HELP}, got {quoted(text)}")
    raw = text.strip()
    if raw in ("0", "+0", "-0", "at deadline"):
        return Offset(0)
    percent = _PERCENT.match(raw)
    if percent:
        share = Fraction(percent["n"]) / 100
        if share == 0:
            return Offset(0)
        if percent["sign"] != "-" and percent["sign"] != "+":
            raise ValueError(f"'{text}': say '-{percent['n']}%' (before the deadline) or '+{percent['n']}%' (after)")
        if percent["sign"] == "-" and share >= 1:
            raise ValueError(f"'{text}' would fall at or before the stage even starts")
        return Offset(-1 if percent["sign"] == "-" else 1, fraction=share)
    if raw.startswith(("+", "-")):  # not `raw[:1] in "+-"`: that holds for '' too
        return Offset(-1 if raw[0] == "-" else 1, duration=parse_duration(raw[1:]))
    raise ValueError(f"'{text}' is not {OFFSET_HELP}; durations need a sign: '+{raw}' or '-{raw}'")
