"""The schema of a policy file: what managers may write, checked field by field.

Structural rules live here (types, units, required keys, no unknown keys); rules that
relate one part of the file to another, or to the family's state machine, live in
`checks.py`. Both report every problem at once with its key path (loader.py adds lines).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, time
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from policies.durations import DURATION_HELP, OFFSET_HELP, Duration, Offset, parse_duration, parse_offset
from states import Family, Tier

IDENTIFIER = r"^[a-z][a-z0-9_]*$"


def _listify(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _percent(value: object) -> Fraction:
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*%\s*", value):
        share = Fraction(value.strip().rstrip("%").strip()) / 100
        if 0 < share <= 1:
            return share
    raise ValueError(f"expected a percentage between 0% and 100% such as '5%', got {value!r}")


def _hours(value: object) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", str(value))
    if match:
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60 and (h1, m1) < (h2, m2):
            return time(h1, m1), time(h2, m2)
    raise ValueError(f"expected business hours like '09:00-18:00' (opening before closing), got {value!r}")


def _zone(value: object) -> str:
    if isinstance(value, str):
        try:
            zoneinfo.ZoneInfo(value)
            return value
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise ValueError(f"unknown time zone {value!r}: use an IANA name such as 'Asia/Shanghai'")


def _version(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"the version must be text such as '2026.11-1' (quote it in YAML), got {value!r}")


DurationText = Annotated[
    Duration,
    PlainValidator(parse_duration),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "description": DURATION_HELP,
                    "examples": ["15 minutes", "24 hours", "4 working days"]}),
]
OffsetText = Annotated[
    Offset,
    PlainValidator(parse_offset),
    PlainSerializer(str),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"const": 0}], "description": OFFSET_HELP,
                    "examples": ["-20%", 0, "+5 working days"]}),
]
Percent = Annotated[
    Fraction,
    PlainValidator(_percent),
    PlainSerializer(lambda f: f"{float(f * 100):g}%"),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(\.\d+)?%$", "examples": ["5%"]}),
]
BusinessHours = Annotated[
    tuple[time, time],
    PlainValidator(_hours),
    PlainSerializer(lambda h: f"{h[0]:%H:%M}-{h[1]:%H:%M}"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}-\d{1,2}:\d{2}$", "examples": ["09:00-18:00"]}),
]
Zone = Annotated[str, PlainValidator(_zone), WithJsonSchema({"type": "string", "examples": ["Asia/Shanghai"]})]
Version = Annotated[str, PlainValidator(_version), WithJsonSchema({"type": "string", "examples": ["2026.11-1"]})]
Name = Annotated[str, Field(pattern=IDENTIFIER, description="lower_snake_case identifier")]
Names = Annotated[list[Name], BeforeValidator(_listify), Field(min_length=1)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Bilingual(Spec):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class CalendarSpec(Spec):
    country: str = Field("CN", description="holidays package country code; CN includes make-up workdays (调休)")
    subdivision: str | None = None
    business_hours: BusinessHours = (time(9, 0), time(18, 0))
    extra_holidays: list[date] = Field(default_factory=list, description="company holidays on top of the country's")
    extra_workdays: list[date] = Field(default_factory=list, description="company workdays on top of the country's")


class StageSpec(Spec):
    """A deadline's meaning: the clock starts when the complaint enters `from`, the stage is
    met when it enters any `until` state (or leaves the lifecycle: rejected, withdrawn)."""

    from_: Name = Field(alias="from")
    until: Names
    within: DurationText | None = Field(
        None, description="the deadline for every tier unless a tier or type says otherwise"
    )
    on_expiry: Name | None = Field(None, description="a trigger fired when the deadline passes, instead of escalating")


class StepSpec(Spec):
    """One rung of an escalation ladder, placed relative to the stage deadline."""

    at: OffsetText
    notify: Names
    action: Name


class RevisitSpec(Spec):
    after: DurationText = Field(description="when the first callback is due, counted from the feedback")
    attempts: int = Field(ge=1, le=10)
    retry_every: DurationText


class TierSpec(Spec):
    deadlines: dict[Name, DurationText] = Field(min_length=1)
    revisit: RevisitSpec
    escalation: list[StepSpec] | None = Field(None, description="this tier's own ladder; the policy's otherwise")


class TierTable(Spec):
    urgent: TierSpec
    important: TierSpec
    general: TierSpec

    def of(self, tier: Tier | str) -> TierSpec:
        spec: TierSpec = getattr(self, Tier(tier).value)
        return spec


class AuthoritySpec(Spec):
    up_to: Money | None = None
    above: Money | None = None
    role: Name
    with_: Name | None = Field(None, alias="with", description="a second role that decides together (会同)")


class CompensationSpec(Spec):
    rate: Percent
    of: Name = Field(description="the amount the rate applies to, e.g. order_amount")
    min: Money | None = None
    max: Money | None = None


class FilingWindowSpec(Spec):
    within: DurationText
    after: Name = Field(description="the event the window counts from, e.g. trade_success")


class TypeSpec(Spec):
    name: Bilingual
    tier: Tier
    route_to: Name
    deadlines: dict[Name, DurationText] = Field(default_factory=dict)
    filing_window: FilingWindowSpec | None = None
    compensation: CompensationSpec | None = None
    penalty_points: dict[Name, Annotated[int, Field(ge=0, le=48)]] = Field(default_factory=dict)


class RevisitPolicySpec(Spec):
    by: Name = Field("first_responder", description="who makes the callback (回访): a role or relation")


class PolicyFile(Spec):
    """A manager-edited policy for one complaint family."""

    version: Version
    family: Family
    timezone: Zone = "Asia/Shanghai"
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    stages: dict[Name, StageSpec] = Field(min_length=1)
    tiers: TierTable
    escalation: list[StepSpec] = Field(min_length=1)
    revisit: RevisitPolicySpec = Field(default_factory=RevisitPolicySpec)
    authority: list[AuthoritySpec] = Field(min_length=1)
    permissions: dict[Name, Names] = Field(default_factory=dict)
    appeal_window: DurationText | None = None
    types: dict[Name, TypeSpec] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """JSON Schema for editors (YAML language servers read it through a `# yaml-language-server` line)."""
    schema = PolicyFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Complaint Desk policy"
    return schema
