"""The caller's tasks, the board, what the sweeps will fire next, and the policies in force."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from desk import views
from desk.api.complaints import PROBLEMS, within
from desk.api.context import Caller, Context, Now
from desk.api.models import PolicyChecked, PolicyProblemOut, PolicySummary
from desk.api.problems import Problem
from policies import Policy, PolicyError
from policies.loader import parse_policy
from states import Family, Tier

router = APIRouter()
FamilyName = Annotated[str, Path(pattern="^(property|enterprise)$")]
MAX_DRAFT = 256_000


@router.get("/tasks", response_model=views.Tasks, tags=["work"], responses=PROBLEMS,
            summary="What waits on the caller: complaints owned or handled, callbacks due, approvals asked")
def tasks(ctx: Context, who: Caller, at: Now) -> views.Tasks:
    return ctx.desk.tasks(who, at)


@router.get("/board", response_model=views.Board, tags=["work"], responses=PROBLEMS,
            summary="Counts by tier and state, overdue by tier, open by escalation level")
def board(ctx: Context, who: Caller, at: Now) -> views.Board:
    return ctx.desk.board(at, reader=who)


@router.get("/escalations/upcoming", response_model=list[views.Upcoming], tags=["operations"], responses=PROBLEMS,
            summary="What the sweeps will fire next, lane by lane (urgent first)")
def upcoming(ctx: Context, who: Caller, at: Now,
             within_: Annotated[str, Query(alias="within", max_length=8, description="15m, 1h, 1d")] = "1h",
             tier: Annotated[str | None, Query(pattern="^(urgent|important|general)$")] = None,
             ) -> list[views.Upcoming]:
    tiers = [tier] if tier else [t.value for t in Tier]
    return ctx.desk.upcoming(at, within(within_), tiers, reader=who)


@router.get("/policies", response_model=list[PolicySummary], tags=["policies"], responses=PROBLEMS,
            summary="The policies in force, one per family")
def policies(ctx: Context, who: Caller) -> list[PolicySummary]:
    ctx.desk.directory.require(who)
    return [_summary(ctx.desk.book.current(family)) for family in Family]


@router.get("/policies/{family}/explain", response_model=views.Explanation, tags=["policies"], responses=PROBLEMS,
            summary="Every stage's deadline for a type received at a moment, and why")
def explain(family: FamilyName, ctx: Context, who: Caller,
            type_: Annotated[str, Query(alias="type", max_length=64)],
            received_at: Annotated[datetime, Query(description="ISO 8601 with an offset")],
            tier: Annotated[str | None, Query(pattern="^(urgent|important|general)$")] = None) -> views.Explanation:
    ctx.desk.directory.require(who)
    if received_at.utcoffset() is None:
        raise Problem(422, f"received_at: '{received_at.isoformat()}' needs a UTC offset such as +08:00")
    return views.explain(ctx.desk.book.current(family), type_, tier, received_at)


@router.post("/policies/check", response_model=PolicyChecked, tags=["policies"], responses=PROBLEMS,
             summary="Check a draft policy: every problem with its line and key path")
def check(ctx: Context, who: Caller,
          draft: Annotated[str, Body(media_type="application/yaml", max_length=MAX_DRAFT,
                                     description="the policy file's text (YAML)")]) -> PolicyChecked:
    ctx.desk.directory.require(who)
    if ctx.desk.directory.org.is_integration(who):
        raise Problem(403, f"{who} may not check policies: integration accounts only file and read their own")
    try:
        parsed = Policy(parse_policy(draft, "draft"), "draft")
    except PolicyError as error:
        return PolicyChecked(ok=False, problems=[PolicyProblemOut(line=p.line, field=p.key, message=p.message)
                                                 for p in error.problems])
    return PolicyChecked(ok=True, family=str(parsed.family), version=parsed.version, problems=[])


def _summary(policy: Policy) -> PolicySummary:
    return PolicySummary(family=str(policy.family), version=policy.version, timezone=policy.spec.timezone,
                         types={key: {"name": t.name.model_dump(), "tier": str(t.tier), "route_to": t.route_to}
                                for key, t in policy.spec.types.items()},
                         spec=policy.spec.model_dump(mode="json", by_alias=True))
