"""The schema of a policy file: what managers may write, checked in one pass.

Besides shapes and units, names are checked against the family's state machine (states,
triggers) and against the file's own stages. Those checks read the validation context
that the loader builds from the raw file (`family`, `stages`), so that every problem of
a file, of either kind, is reported at once with its key path (loader.py adds lines).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, time
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from policies.calendar import Hours
from policies.durations import DURATION_HELP, OFFSET_HELP, Duration, Offset, parse_duration, parse_offset
from policies.ladders import authority_problem, ladder_problem, ladder_problem_on
from policies.orchestration import EVERY_HELP, CallbackHours, Every, parse_every
from policies.problems import located, quoted
from states import Family, Tier, allowed_triggers, states_of, triggers_of

IDENTIFIER = r"^[a-z][a-z0-9_]*$"


def _family(info: ValidationInfo) -> Family | None:
    family = (info.context or {}).get("family")
    return family if isinstance(family, Family) else None


def _state(value: str, info: ValidationInfo) -> str:
    family = _family(info)
    if family is not None and value not in states_of(family):
        raise ValueError(f"'{value}' is not a state of {family} complaints ({', '.join(states_of(family))})")
    return value


# What a permission may name besides the machine's triggers: filing a complaint, reading one,
# and seeing its complainant unmasked (every unmasking is recorded).
ACCESS_ACTIONS = ("file", "read", "reveal")


def _permitted_action(value: str, info: ValidationInfo) -> str:
    family = _family(info)
    if family is not None and value not in triggers_of(family) and value not in ACCESS_ACTIONS:
        known = (*ACCESS_ACTIONS, *triggers_of(family))
        raise ValueError(f"'{value}' is not a trigger of {family} complaints nor an access action ({', '.join(known)})")
    return value


def _stage(value: str, info: ValidationInfo) -> str:
    stages = (info.context or {}).get("stages")
    if stages is not None and value not in stages:
        raise ValueError(f"unknown stage '{value}' (stages: {', '.join(stages)})")
    return value


def _listify(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _percent(value: object) -> Fraction:
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*%\s*", value):
        share = Fraction(value.strip().rstrip("%").strip()) / 100
        if 0 < share <= 1:
            return share
    raise ValueError(f"expected a percentage between 0% and 100% such as '5%', got {quoted(value)}")


def _hours(value: object) -> Hours:
    if isinstance(value, Hours):
        return value
    intervals: list[tuple[time, time]] = []
    for part in str(value).split(","):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", part)
        if not match:
            intervals = []
            break
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
            intervals = []
            break
        intervals.append((time(h1, m1), time(h2, m2)))
    if intervals:
        try:
            return Hours(tuple(intervals))
        except ValueError as wrong:
            raise ValueError(f"{wrong}, got {quoted(value)}") from None
    raise ValueError("expected business hours like '09:00-18:00', or split by a break like "
                     f"'09:00-12:00, 13:30-18:00' (each opening before it closes), got {quoted(value)}")


def _zone(value: object) -> str:
    if isinstance(value, str):
        try:
            zoneinfo.ZoneInfo(value)
            return value
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ('America') or a huge name
            pass
    raise ValueError(f"unknown time zone {quoted(value)}: use an IANA name such as 'Asia/Shanghai'")


def _version(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"the version must be text such as '2026.11-1' (quote it in YAML), got {quoted(value)}")


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
HOURS = r"\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}"
BusinessHours = Annotated[
    Hours,
    PlainValidator(_hours),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "pattern": rf"^{HOURS}(\s*,\s*{HOURS})*$",
                    "examples": ["09:00-18:00", "09:00-12:00, 13:30-18:00"]}),
]
EveryText = Annotated[
    Every,
    PlainValidator(parse_every),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "description": EVERY_HELP,
                    "examples": ["every 15 seconds", "every minute", "every 5 minutes"]}),
]
Zone = Annotated[str, PlainValidator(_zone), WithJsonSchema({"type": "string", "examples": ["Asia/Shanghai"]})]
Version = Annotated[str, PlainValidator(_version), WithJsonSchema({"type": "string", "examples": ["2026.11-1"]})]
Name = Annotated[str, Field(pattern=IDENTIFIER, description="lower_snake_case identifier")]
Names = Annotated[list[Name], BeforeValidator(_listify), Field(min_length=1)]
StateName = Annotated[Name, AfterValidator(_state)]
StageName = Annotated[Name, AfterValidator(_stage)]
ActionName = Annotated[Name, AfterValidator(_permitted_action)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class Spec(BaseModel):
    # defer_build: each model's validator is built when a file is first validated, not on import, so a
    # command whose policies come from the parse cache (desk/policybook.py) never builds them (~15 ms).
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class Bilingual(Spec):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class CalendarSpec(Spec):
    country: str = Field("CN", description="holidays package country code; CN includes make-up workdays (调休)")
    subdivision: str | None = None
    business_hours: BusinessHours = Field("09:00-18:00", validate_default=True)
    extra_holidays: list[date] = Field(default_factory=list, description="company holidays on top of the country's")
    extra_workdays: list[date] = Field(default_factory=list, description="company workdays on top of the country's")

    @model_validator(mode="after")
    def _holidays_are_known(self) -> CalendarSpec:
        # Checked here, or `desk policy check` passes a file whose calendar fails on first use.
        import holidays  # here, not at the top: importing the schema stays quick (see BusinessCalendar)

        try:
            holidays.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError as exc:  # how the holidays package says "no such country or subdivision"
            key = "country" if self.subdivision is None or "subdivision" not in str(exc) else "subdivision"
            raise located(((key,), f"{exc}: use a country code such as 'CN' (and a subdivision it has)")) from None
        return self


class StageSpec(Spec):
    """A deadline's meaning: the clock starts when the complaint enters `from`, the stage is
    met when it enters any `until` state (or leaves the lifecycle: rejected, withdrawn)."""

    from_: StateName = Field(alias="from")
    until: Annotated[list[StateName], BeforeValidator(_listify), Field(min_length=1)]
    within: DurationText | None = Field(
        None, description="the deadline for every tier unless a tier or type says otherwise"
    )
    on_expiry: Name | None = Field(None, description="a trigger fired when the deadline passes, instead of escalating")

    @model_validator(mode="after")
    def _expiry_fires_where_the_stage_starts(self, info: ValidationInfo) -> StageSpec:
        family = _family(info)
        if family is not None and self.on_expiry is not None and self.from_ in states_of(family):
            allowed = allowed_triggers(family, self.from_)
            if self.on_expiry not in allowed:
                message = f"'{self.on_expiry}' cannot be fired from '{self.from_}' (allowed: {', '.join(allowed)})"
                raise located((("on_expiry",), message))  # point at the on_expiry line, not the stage's
        return self


class StepSpec(Spec):
    """One rung of an escalation ladder, placed relative to the stage deadline."""

    at: OffsetText
    notify: Names
    action: Name
    every: DurationText | None = Field(
        None, description="after the deadline: the rung comes again this often until the stage is met, e.g. "
                          "'1 working day' (osTicket #6405)")

    @model_validator(mode="after")
    def _repeats_after_the_deadline(self) -> StepSpec:
        if self.every is not None and self.at.sign < 0:
            raise located((("every",), f"a rung before the deadline ('{self.at}') cannot repeat until the stage is "
                                       f"met: give 'every' to a rung at or after it"))
        return self


class RevisitSpec(Spec):
    after: DurationText = Field(description="when the first callback is due, counted from the feedback")
    attempts: int = Field(ge=1, le=10)
    retry_every: DurationText


def _climbing(steps: list[StepSpec] | None) -> list[StepSpec] | None:
    problem = ladder_problem([s.at for s in steps or []])
    if problem:
        raise located(problem)
    return steps


def _climbs_on(steps: list[StepSpec], lengths: list[tuple[str, Duration]], where: tuple[str, ...]) -> None:
    for deadline, length in lengths:
        problem = ladder_problem_on([s.at for s in steps], length, f"the {deadline} deadline")
        if problem:
            path, message = problem
            raise located(((*where, *path), message))


class OrchestrationSpec(Spec):
    """How often Prefect sweeps the tier's timers (deployments escalations/<tier> and
    revisit-callbacks/<tier>); a key left out takes the tier's default (policies/orchestration.py)."""

    escalations: EveryText | None = Field(None, description="ladders, stage deadlines and evidence windows")
    callbacks: EveryText | None = Field(None, description="revisit callbacks (回访) and their expiry")
    callbacks_in: CallbackHours | None = Field(
        None, description="business_hours: callbacks are swept only in the calendar's business hours on working "
                          "days; any_time: around the clock")
    notices_in: CallbackHours | None = Field(
        None, description="quiet hours: business_hours holds the tier's notices (escalations, callbacks due) owed "
                          "outside business hours until the calendar next opens; any_time sends them at once "
                          "(default: any_time for urgent, business_hours otherwise)")


class TierSpec(Spec):
    deadlines: dict[StageName, DurationText] = Field(min_length=1)
    revisit: RevisitSpec
    progress_every: DurationText | None = Field(
        None, description="while it is handled, the complainant is told how things stand this often; a missed "
                          "update escalates (ISO 10002: status updates at pre-set times; seed 001: progress "
                          "reported for important complaints). Left out: important every 2 working days, "
                          "the others none (policies/policy.py PROGRESS_EVERY)")
    escalation: list[StepSpec] | None = Field(None, description="this tier's own ladder; the policy's otherwise")
    orchestration: OrchestrationSpec = Field(default_factory=OrchestrationSpec)

    _ladder = field_validator("escalation")(_climbing)


class TierTable(Spec):
    urgent: TierSpec
    important: TierSpec
    general: TierSpec

    def of(self, tier: Tier | str) -> TierSpec:
        # A dict lookup, not Tier(tier): every deadline and ladder asks, and the enum call costs ~1 µs.
        name = _TIER_NAMES.get(tier)
        spec: TierSpec = getattr(self, name if name is not None else Tier(tier).value)  # Tier() names a bad one
        return spec


_TIER_NAMES = {tier.value: tier.value for tier in Tier}  # a StrEnum member finds its value's entry too


class AuthoritySpec(Spec):
    up_to: Money | None = None
    above: Money | None = None
    role: Names = Field(description="the role, or roles, that decide amounts on this rung")
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
    deadlines: dict[StageName, DurationText] = Field(default_factory=dict)
    filing_window: FilingWindowSpec | None = None
    compensation: CompensationSpec | None = None
    penalty_points: dict[Name, Annotated[int, Field(ge=0, le=48)]] = Field(default_factory=dict)


class RevisitPolicySpec(Spec):
    by: Name = Field("first_responder", description="who makes the callback (回访): a role or relation")


class PauseSpec(Spec):
    """Stopping a deadline's clock while the complaint waits on someone else (Zammad's pending
    states, Frappe Helpdesk's paused statuses, Odoo's excluded stages; osTicket #3034). On resume
    the held deadlines and their ladders move by the paused time, counted as the deadline counts
    (working time for working deadlines); paused time is never a breach."""

    stages: list[StageName] = Field(
        default_factory=lambda: ["investigate", "resolve"],
        description="deadlines whose clock may stop (default: investigate and resolve, the stages that wait "
                    "on a utility company, a courier or the complainant; our choice)")
    reasons: list[Name] = Field(
        default_factory=lambda: ["awaiting_complainant", "awaiting_utility", "awaiting_courier",
                                 "awaiting_third_party"],
        min_length=1, description="what a complaint may wait for (Zammad pending reasons; our list)")
    cap: DurationText = Field(
        "5 working days", validate_default=True,
        description="after this the clock resumes by itself (our choice; 12345 rules allow no open-ended wait)")
    tiers: list[Tier] = Field(
        default_factory=lambda: [Tier.IMPORTANT, Tier.GENERAL],
        description="tiers whose complaints may pause (default: not urgent ones; ISO 10002: health and safety "
                    "issues immediately)")


class ExtensionSpec(Spec):
    """More time for a stage (延期). 12345 rules: an extension only if asked before the deadline;
    it is decided by a leader, not by whoever asks."""

    stages: list[StageName] = Field(
        default_factory=lambda: ["investigate", "resolve"],
        description="deadlines that may be extended (default: investigate and resolve; our choice)")
    approvers: Names = Field(
        default_factory=lambda: ["department_head", "duty_manager", "general_manager"],
        description="roles that grant or decline an extension (12345: the unit's leader approves; our roles)")
    per_stage: int = Field(1, ge=1, le=5, description="extensions a stage may have in one round (our choice: one)")


class PromiseSpec(Spec):
    """A time promised to the complainant (seeds 000, 003: 说明原因和确切解决时间，到时主动约见顾客)."""

    remind_before: DurationText = Field("2 hours", validate_default=True,
                                        description="the owner is reminded this long before (our choice)")
    escalate_to: Names = Field(default_factory=lambda: ["first_responder", "department_head"],
                               description="told when the time passes with no contact or resolution recorded")


class ReferralSpec(Spec):
    """Asking a leader to take a hand (seed 003: 如果自己确实无法解决顾客投诉，则立即引荐给上层领导解决)."""

    answer_within: DurationText = Field("4 working hours", validate_default=True,
                                        description="the leader's answer is due within this (our choice)")
    escalate_to: Names = Field(default_factory=lambda: ["general_manager"],
                               description="told when a referral goes unanswered (seed 003: 上层领导)")


class BehaviourSpec(Spec):
    """Escalations for how a complaint is handled rather than how late (严禁推诿扯皮, seeds 000, 001)."""

    bounces: int = Field(2, ge=0, le=20, description="more bounces than this (handed back to someone who had it) "
                                                      "escalate at once (our choice: the third bounce)")
    unsatisfied_revisits: int = Field(2, ge=1, le=10, description="this many unsatisfied revisits escalate at once "
                                                                    "(our choice: the second)")
    notify: Names = Field(default_factory=lambda: ["department_head", "general_manager"],
                          description="who is told (seed 003: 上层领导)")


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
    permissions: dict[ActionName, Names] = Field(default_factory=dict)
    appeal_window: DurationText | None = None
    pause: PauseSpec = Field(default_factory=PauseSpec)
    extension: ExtensionSpec = Field(default_factory=ExtensionSpec)
    promise: PromiseSpec = Field(default_factory=PromiseSpec)
    referral: ReferralSpec = Field(default_factory=ReferralSpec)
    behaviour: BehaviourSpec = Field(default_factory=BehaviourSpec)
    types: dict[Name, TypeSpec] = Field(min_length=1)

    _ladder = field_validator("escalation")(_climbing)

    @field_validator("authority")
    @classmethod
    def _authority_rises(cls, ladder: list[AuthoritySpec]) -> list[AuthoritySpec]:
        problem = authority_problem([(a.up_to, a.above) for a in ladder])
        if problem:
            raise located(problem)
        return ladder

    @model_validator(mode="after")
    def _ladders_climb_on_every_deadline(self) -> PolicyFile:
        # Only here are a ladder and the deadlines it escalates both known. Before classification
        # there is no tier: the policy's ladder escalates the stages timed by their own `within`.
        # After it, a tier's own ladder escalates that tier's deadlines (its types' too) and the
        # policy's ladder those of every other tier. A stage that classification ends (triage)
        # is never escalated under a tier.
        timed = {name: spec.within for name, spec in self.stages.items() if spec.on_expiry is None}
        shared: list[tuple[str, Duration]] = [(stage, d) for stage, d in timed.items() if d is not None]
        tiered = {stage: d for stage, d in timed.items() if "classified" not in self.stages[stage].until}
        for tier in Tier:
            spec = self.tiers.of(tier)
            lengths = [(f"{tier.value} {stage}", d) for stage, d in {**tiered, **spec.deadlines}.items()
                       if d is not None and stage in tiered]
            lengths += [(f"{key} {stage}", d) for key, t in self.types.items() if t.tier == tier
                        for stage, d in t.deadlines.items() if stage in tiered]
            if spec.escalation is None:
                shared += lengths
            else:
                _climbs_on(spec.escalation, lengths, ("tiers", tier.value, "escalation"))
        _climbs_on(self.escalation, shared, ("escalation",))
        return self

    @field_validator("appeal_window")
    @classmethod
    def _family_has_appeals(cls, window: Duration | None, info: ValidationInfo) -> Duration | None:
        family = _family(info)
        if window is not None and family is not None and "appeal" not in triggers_of(family):
            raise ValueError(f"{family} complaints have no appeal (申诉) in their lifecycle")
        return window


def json_schema() -> dict[str, Any]:
    """JSON Schema for editors (YAML language servers read it through a `# yaml-language-server` line)."""
    schema = PolicyFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Complaint Desk policy"
    return schema
