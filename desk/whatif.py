"""What would this draft policy have done to last month's complaints? (the what-if replay)

Every complaint of the draft's family received in the last `days` is replayed twice from its
recorded events (desk.replay): once under the draft, once under the policy it is compared with,
by the same code, so that the difference is the policy's and nothing else's:

- `recorded` (the default): each complaint under the policy version it was classified under
  (the one its deadlines were really computed with; the version in force for one never
  classified). This is what the policy it was actually under did, replayed.
- `in_force`: every complaint under the version in force for the family now.

Where a classification took the tier the old policy gives its type, the draft's tier for that
type is used; a tier a person chose stays. A complaint whose type the draft no longer has cannot
be replayed and is listed apart. Only numbers and counts come out: personal data never leaves
the database (the complainants table is not even read).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from desk.errors import BadInput, NotFound
from desk.replay import Replayed, replay, retiered
from desk.store.replay import Recorded, count_received, received_batch
from desk.store.uow import UnitOfWork
from desk.views import UNCLASSIFIED
from policies import Policy, load_policy
from states import Complaint

if TYPE_CHECKING:
    from desk.service import Desk

Baseline = Literal["recorded", "in_force"]
BATCH = 500  # complaints per read-only transaction
MAX_DAYS = 366


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


class Side(Model):
    """Totals of one replay (before: the policy compared with; after: the draft)."""

    deadlines: int = Field(description="stage deadlines judged (met, missed, overdue or still open)")
    breaches: int = Field(description="deadlines missed or overdue at the end of the window")
    escalations: int = Field(description="escalation rungs that fired, every level")
    notices: int = Field(description="notices owed: one per role a fired rung names, callbacks and "
                                     "satisfaction requests included")
    mean_margin_s: float | None = Field(description="mean seconds to spare at each settled or overdue "
                                                    "deadline; negative: late on average")
    mean_late_s: float | None = Field(description="mean seconds late over the breached deadlines")


class StageRow(Model):
    """Breaches of one stage in one tier, before and after. A complaint the draft moves to
    another tier counts in its old tier before and its new tier after."""

    tier: str
    stage: str
    deadlines_before: int
    deadlines_after: int
    breaches_before: int
    breaches_after: int
    mean_margin_before_s: float | None
    mean_margin_after_s: float | None


class LevelRow(Model):
    level: int
    actions: list[str] = Field(description="what the rungs of this level do, under either policy")
    before: int
    after: int


class NoticeRow(Model):
    action: str = Field(description="reminder, overdue_notice, censure, ..., callback_due, satisfaction_request")
    before: int
    after: int


class WhatIf(Model):
    """The what-if read model, shared by `desk policy whatif`, the `policy-whatif` flow and the console."""

    family: str
    draft_version: str
    compared_with: Baseline = Field(description="recorded: each complaint under the version it was classified "
                                                "under; in_force: under the version in force now")
    compared_versions: list[str] = Field(description="the policy versions the 'before' replay used")
    days: int
    since: datetime
    until: datetime
    replayed: int = Field(description="complaints replayed under both policies")
    before: Side
    after: Side
    stages: list[StageRow]
    levels: list[LevelRow]
    notices: list[NoticeRow]
    changed: list[str] = Field(description="numbers of complaints whose breaches or escalation levels differ")
    now_breaching: list[str] = Field(description="numbers with a deadline breached under the draft only")
    no_longer_breaching: list[str] = Field(description="numbers with a deadline breached before only")
    skipped: list[str] = Field(description="numbers that could not be replayed (their type is not in the draft)")
    skipped_types: list[str]


def what_if(desk: Desk, draft: Policy | Path, days: int = 30, *, now: datetime,
            progress: Callable[[int, int], None] | None = None, compared_with: Baseline = "recorded") -> WhatIf:
    """Replays the draft's family's complaints received in the `days` before `now` under the draft
    and under the policy `compared_with` names. A draft given as a path is loaded and checked
    like `desk policy check` (PolicyError lists every problem as file:line: key)."""
    if not 1 <= days <= MAX_DAYS:
        raise BadInput(f"days: {days} is not between 1 and {MAX_DAYS}")
    policy = draft if isinstance(draft, Policy) else load_policy(draft)
    family = policy.family.value
    since = now - timedelta(days=days)
    tally = Tally(now)
    with desk.reading() as uow:
        total = count_received(uow.connection, family, since, now)
    if progress:
        progress(0, total)
    after, done = 0, 0
    while True:
        with desk.reading() as uow:
            batch = received_batch(uow.connection, family, since, now, after=after, batch=BATCH)
            # The stored versions are read on this unit; the book keeps each once parsed.
            bases = [_policies(desk, uow, family, r, compared_with) for r in batch]
        if not batch:
            break
        for recorded, base in zip(batch, bases, strict=True):
            tally.add(recorded, base, policy)
        done += len(batch)
        after = batch[-1].id
        if progress:
            progress(done, max(total, done))
    return tally.result(family, policy.version, compared_with, days, since)


def _policies(desk: Desk, uow: UnitOfWork, family: str, recorded: Recorded,
              compared_with: Baseline) -> tuple[Policy, Policy] | None:
    """The policy the complaint was classified under (whose tiers its classification took) and the
    one the draft is compared with; None when its version is not stored (it cannot be judged)."""
    current = desk.book.current(family)
    if recorded.policy_version is None or not recorded.events:
        return current, current
    # for_complaint reads only the family and the version: a bare complaint carries both.
    bare = Complaint(number=recorded.number, family=family, first_responder="-",
                     received_at=recorded.events[0].at, channel="-")
    bare.policy_version = recorded.policy_version
    try:
        classified_under = desk.book.for_complaint(bare, uow)
    except NotFound:
        return None
    return classified_under, (classified_under if compared_with == "recorded" else current)


@dataclass
class Counts:
    """One side's running sums, by (tier, stage), level and notice action."""

    deadlines: Counter[tuple[str, str]] = field(default_factory=Counter)
    breaches: Counter[tuple[str, str]] = field(default_factory=Counter)
    margin: defaultdict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    late: list[float] = field(default_factory=list)
    levels: Counter[int] = field(default_factory=Counter)
    notices: Counter[str] = field(default_factory=Counter)

    def add(self, r: Replayed, now: datetime, actions: defaultdict[int, set[str]]) -> None:
        tier = r.tier or UNCLASSIFIED
        for d in r.deadlines:
            key = (tier, d.stage)
            self.deadlines[key] += 1
            margin = d.margin_s(now)
            if margin is not None:
                self.margin[key].append(margin)
            if d.breached:
                self.breaches[key] += 1
                self.late.append(-margin if margin is not None else 0.0)
        for rung in r.fired:
            if rung.kind == "escalation":
                self.levels[rung.level] += 1
                actions[rung.level].add(rung.action)
            self.notices[rung.action] += len(rung.notify)
            if rung.kind == "revisit" and rung.level == 1:
                self.notices["satisfaction_request"] += 1  # the complainant is asked too (desk.timers.notifications)

    def side(self) -> Side:
        margins = [m for ms in self.margin.values() for m in ms]
        return Side(deadlines=self.deadlines.total(), breaches=self.breaches.total(),
                    escalations=self.levels.total(), notices=self.notices.total(),
                    mean_margin_s=_mean(margins), mean_late_s=_mean(self.late))


class Tally:
    """Both replays of every complaint, summed as they come (memory follows the counts, not the
    window), with the numbers whose outcome differs."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.before, self.after = Counts(), Counts()
        self.actions: defaultdict[int, set[str]] = defaultdict(set)
        self.replayed = 0
        self.versions: set[str] = set()
        self.changed: list[str] = []
        self.now_breaching: list[str] = []
        self.no_longer_breaching: list[str] = []
        self.skipped: list[str] = []
        self.skipped_types: set[str] = set()

    def add(self, recorded: Recorded, bases: tuple[Policy, Policy] | None, draft: Policy) -> None:
        if not recorded.events:
            return
        if bases is None:
            self.skipped.append(recorded.number)
            self.skipped_types.add(f"version {recorded.policy_version} not stored")
            return
        classified_under, base = bases
        try:
            after = replay(draft, recorded.number, retiered(recorded.events, classified_under, draft), self.now)
            before = replay(base, recorded.number, retiered(recorded.events, classified_under, base), self.now)
        except KeyError:
            self.skipped.append(recorded.number)
            self.skipped_types.update(str(e.data["type"]) for e in recorded.events if e.data.get("type")
                                      and not {str(e.data["type"])} <= draft.spec.types.keys() & base.spec.types.keys())
            return
        self.versions.add(base.version)
        self.replayed += 1
        self.before.add(before, self.now, self.actions)
        self.after.add(after, self.now, self.actions)
        was, will = before.outcome(), after.outcome()
        if was != will:
            self.changed.append(recorded.number)
        if will[0] - was[0]:
            self.now_breaching.append(recorded.number)
        if was[0] - will[0]:
            self.no_longer_breaching.append(recorded.number)

    def result(self, family: str, version: str, compared_with: Baseline, days: int, since: datetime) -> WhatIf:
        b, a = self.before, self.after
        keys = sorted(set(b.deadlines) | set(a.deadlines), key=lambda k: (_TIER_ORDER.get(k[0], 9), k[1]))
        stages = [StageRow(tier=tier, stage=stage, deadlines_before=b.deadlines[(tier, stage)],
                           deadlines_after=a.deadlines[(tier, stage)], breaches_before=b.breaches[(tier, stage)],
                           breaches_after=a.breaches[(tier, stage)],
                           mean_margin_before_s=_mean(b.margin.get((tier, stage), [])),
                           mean_margin_after_s=_mean(a.margin.get((tier, stage), [])))
                  for tier, stage in keys]
        levels = [LevelRow(level=level, actions=sorted(self.actions[level]), before=b.levels[level],
                           after=a.levels[level]) for level in sorted(set(b.levels) | set(a.levels))]
        notices = [NoticeRow(action=action, before=b.notices[action], after=a.notices[action])
                   for action in sorted(set(b.notices) | set(a.notices))]
        return WhatIf(family=family, draft_version=version, compared_with=compared_with,
                      compared_versions=sorted(self.versions), days=days, since=since, until=self.now,
                      replayed=self.replayed, before=b.side(), after=a.side(), stages=stages, levels=levels,
                      notices=notices, changed=self.changed, now_breaching=self.now_breaching,
                      no_longer_breaching=self.no_longer_breaching, skipped=self.skipped,
                      skipped_types=sorted(self.skipped_types))


_TIER_ORDER = {"urgent": 0, "important": 1, "general": 2, UNCLASSIFIED: 3}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
