"""A loaded policy and the deadlines it gives: what managers decided, applied to a moment.

All functions take the moment they count from; none reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from policies.calendar import BusinessCalendar, Span
from policies.durations import Duration
from policies.loader import load_policy_file
from policies.money import authority_for, compensation
from policies.orchestration import DEFAULTS, Orchestration
from policies.schema import AuthoritySpec, PolicyFile, StageSpec, StepSpec, TypeSpec
from states import Family, Tier

SHIPPED = Path(__file__).parent
# How often a tier's complainant is told how things stand when the policy does not say (ISO 10002:
# status updates at pre-set times; seed 001: progress reported for important complaints). Urgent
# complaints are resolved within hours and general ones within days: no separate updates.
PROGRESS_EVERY: dict[str, Duration] = {Tier.IMPORTANT: Duration(2, "days", True)}  # also found by a tier's text


@dataclass(frozen=True, slots=True)
class StageDeadline:
    stage: str
    starts_in: str  # the state whose entry started the clock
    met_by: tuple[str, ...]  # entering any of these meets it
    due_at: datetime  # in the policy's time zone; storage keeps UTC
    basis: str  # "clock" or "working"
    rule: str  # where the duration came from: "tier urgent", "type harassment", "stage evidence"
    on_expiry: str | None
    # Worked out only when someone asks "why this date?": every transition computes deadlines,
    # few are ever explained.
    explain: Callable[[], str] = field(repr=False, compare=False, default=lambda: "")

    @property
    def explanation(self) -> str:
        return self.explain()


@dataclass(frozen=True, slots=True)
class LadderStep:
    stage: str
    level: int  # 1 = first rung
    action: str
    notify: tuple[str, ...]
    due_at: datetime
    offset: str
    every: Duration | None = None  # after the deadline: again this often until the stage is met


@dataclass(frozen=True)
class Policy:
    spec: PolicyFile
    source: str

    @cached_property
    def calendar(self) -> BusinessCalendar:
        cal = self.spec.calendar
        return BusinessCalendar(
            timezone=self.spec.timezone,
            country=cal.country,
            subdivision=cal.subdivision,
            hours=cal.business_hours,
            extra_holidays=cal.extra_holidays,
            extra_workdays=cal.extra_workdays,
        )

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def family(self) -> Family:
        return self.spec.family

    def type(self, key: str) -> TypeSpec:
        try:
            return self.spec.types[key]
        except KeyError:
            known = ", ".join(self.spec.types)
            raise KeyError(f"unknown {self.family} complaint type '{key}' (known: {known})") from None

    def tier_of(self, key: str, tier: Tier | str | None = None) -> Tier:
        return Tier(tier) if tier is not None else self.type(key).tier

    # -- deadlines ------------------------------------------------------------------
    def duration_for(self, key: str | None, tier: Tier | str | None, stage: str) -> tuple[Duration, str] | None:
        """Type over tier over the stage's own `within`; None when this stage is not timed here.
        Before classification (no type or tier yet) only a stage's own `within` applies."""
        if key is not None and stage in self.type(key).deadlines:
            return self.type(key).deadlines[stage], f"type {key}"
        if tier is not None and stage in self.spec.tiers.of(tier).deadlines:
            return self.spec.tiers.of(tier).deadlines[stage], f"tier {tier}"  # of() refused a bad tier
        within = self.spec.stages[stage].within
        return (within, f"stage {stage}") if within is not None else None

    def deadline(
        self, key: str | None, tier: Tier | str | None, stage: str, started_at: datetime,
        known_due: datetime | None = None,
    ) -> StageDeadline | None:
        """The stage's deadline from `started_at`. `known_due` is the due time already stored for
        it (deadlines are computed once and kept as rows): the calendar is not consulted again."""
        found = self.duration_for(key, tier, stage)
        if found is None:
            return None
        duration, rule = found
        spec: StageSpec = self.spec.stages[stage]

        def explain() -> str:
            span: Span = self.calendar.add(started_at, duration)
            return f"{rule}: {span.explain()}"

        due = known_due if known_due is not None else self.calendar.add(started_at, duration).due
        return StageDeadline(
            stage=stage,
            starts_in=spec.from_,
            met_by=tuple(spec.until),
            due_at=due,
            basis=duration.basis,
            rule=rule,
            on_expiry=spec.on_expiry,
            explain=explain,
        )

    def deadlines_from(
        self, state: str, key: str | None, tier: Tier | str | None, started_at: datetime
    ) -> list[StageDeadline]:
        """Every timed stage whose clock starts when the complaint enters `state`."""
        found = []
        for stage, spec in self.spec.stages.items():
            if spec.from_ == state:
                deadline = self.deadline(key, tier, stage, started_at)
                if deadline is not None:
                    found.append(deadline)
        return sorted(found, key=lambda d: d.due_at)

    def ladder_steps(self, tier: Tier | str | None) -> list[StepSpec]:
        own = self.spec.tiers.of(tier).escalation if tier is not None else None
        return own if own is not None else self.spec.escalation

    def ladder(self, tier: Tier | str | None, deadline: StageDeadline, started_at: datetime) -> list[LadderStep]:
        """The escalation rungs of one stage deadline. Stages that fire a trigger on expiry
        (the evidence window) do not escalate: their expiry is a step of the lifecycle."""
        if deadline.on_expiry is not None:
            return []
        return [
            LadderStep(
                stage=deadline.stage,
                level=i,
                action=step.action,
                notify=tuple(step.notify),
                due_at=self.calendar.shift(started_at, deadline.due_at, step.at, deadline.basis),
                offset=str(step.at),
                every=step.every,
            )
            for i, step in enumerate(self.ladder_steps(tier), start=1)
        ]

    def revisit_times(self, tier: Tier | str, fed_back_at: datetime) -> list[datetime]:
        """When each callback attempt (回访) is due: `after` the feedback, then every `retry_every`."""
        spec = self.spec.tiers.of(tier).revisit
        moment = self.calendar.add(fed_back_at, spec.after).due
        times = [moment]
        for _ in range(spec.attempts - 1):
            moment = self.calendar.add(moment, spec.retry_every).due
            times.append(moment)
        return times

    def orchestration(self, tier: Tier | str) -> Orchestration:
        """How often the tier's timers are swept: its `orchestration:` keys over the defaults."""
        spec, default = self.spec.tiers.of(tier).orchestration, DEFAULTS[Tier(tier)]
        return Orchestration(spec.escalations or default.escalations, spec.callbacks or default.callbacks,
                             spec.callbacks_in or default.callbacks_in, spec.notices_in or default.notices_in)

    def notice_time(self, tier: Tier | str | None, moment: datetime) -> datetime:
        """When a notice owed at `moment` may go out: at once, or for a tier with quiet hours
        (`notices_in: business_hours`) when the calendar next opens."""
        if self.orchestration(tier or Tier.URGENT).notices_in == "any_time":
            return moment
        return self.calendar.next_working_moment(moment)

    # -- promises and progress -----------------------------------------------------------
    def promise_reminder_at(self, promised_for: datetime) -> datetime:
        """When the owner is reminded of a time promised to the complainant (promise.remind_before)."""
        before = self.spec.promise.remind_before
        if before.working:
            return self.calendar.subtract(promised_for, before)
        return promised_for - timedelta(minutes=before.minutes)

    def progress_every(self, tier: Tier | str | None) -> Duration | None:
        """How often the tier's complainant is owed word of progress (tiers.<tier>.progress_every)."""
        if tier is None:
            return None
        return self.spec.tiers.of(tier).progress_every or PROGRESS_EVERY.get(tier)

    # -- who may ------------------------------------------------------------------------
    def rule_for(self, action: str) -> tuple[list[str] | None, str]:
        """The roles the policy lets take `action` (None: no rule), and the key that says so.
        Deciding an extension follows `extension.approvers` unless `permissions` names it."""
        if action in self.spec.permissions:
            return self.spec.permissions[action], f"permissions.{action}"
        if action in ("approve_extension", "decline_extension"):
            return self.spec.extension.approvers, "extension.approvers"
        return None, f"permissions.{action}"

    # -- pauses -----------------------------------------------------------------------
    def pause_cap_ends(self, paused_at: datetime) -> datetime:
        """When a pause begun at `paused_at` ends by itself (pause.cap)."""
        return self.calendar.add(paused_at, self.spec.pause.cap).due

    def resumed_due(self, due: datetime, basis: str, paused_at: datetime, resumed_at: datetime) -> datetime:
        """Where a held due time moves on resume: later by the paused time as its deadline counts
        time, working minutes for a working deadline (a weekend in the pause moves nothing), clock
        time for a clock one."""
        if basis != "working":
            return due + (resumed_at - paused_at)
        minutes = self.calendar.working_minutes_between(paused_at, resumed_at)
        return self.calendar.add(due, Duration(minutes, "minutes", True)).due if minutes else due

    def paused_working_minutes(self, paused_at: datetime, resumed_at: datetime) -> int:
        return self.calendar.working_minutes_between(paused_at, resumed_at)

    def in_business_hours(self, moment: datetime) -> bool:
        """Whether `moment` falls in business hours on a working day of the policy's calendar."""
        return self.calendar.is_working_time(moment)

    def revisit_attempts(self, tier: Tier | str) -> int:
        return self.spec.tiers.of(tier).revisit.attempts

    # -- windows --------------------------------------------------------------------
    def filing_window_ends(self, key: str, reference_at: datetime) -> datetime | None:
        """End of the window to file this type, counted from its reference event (e.g. trade success)."""
        window = self.type(key).filing_window
        return self.calendar.add(reference_at, window.within).due if window else None

    def within_filing_window(self, key: str, reference_at: datetime, filed_at: datetime) -> bool:
        ends = self.filing_window_ends(key, reference_at)
        return ends is None or reference_at <= filed_at <= ends

    def appeal_window_ends(self, decided_at: datetime) -> datetime | None:
        window = self.spec.appeal_window
        return self.calendar.add(decided_at, window).due if window else None

    # -- money ----------------------------------------------------------------------
    def compensation_for(self, key: str, amount: Decimal | int | str) -> Decimal | None:
        formula = self.type(key).compensation
        return compensation(formula, amount) if formula else None

    def authority_for(self, amount: Decimal | int | str) -> AuthoritySpec:
        return authority_for(self.spec.authority, amount)


def load_policy(path: str | Path) -> Policy:
    """Loads and validates a policy file; raises PolicyError listing every problem."""
    return Policy(load_policy_file(path), str(path))


def shipped_policy(family: Family | str) -> Policy:
    """The policy shipped for a family (policies/property.yaml, policies/enterprise.yaml)."""
    return load_policy(SHIPPED / f"{Family(family).value}.yaml")
