"""Managers' pages: the policies in force as readable tables (tiers and deadlines, ladders,
revisits, types, authority, permissions, the year's calendar, the versions and who published
them); a draft edited in the browser, checked as `desk policy check` checks a file (every problem
at its line), its deadlines explained for a type and a moment, replayed against recent complaints
(what-if), and published as a new version, then re-applied to the open complaints."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from desk import operations, replays, views
from desk.console.session import Refused, Sender, Signed, Visitor, context, require
from desk.console.web import render
from desk.errors import DeskError, NotFound, NotPermitted
from desk.runs import prefect_api, start_run
from desk.whatif import what_if
from policies import Policy, PolicyError
from policies.loader import MAX_POLICY_BYTES, parse_policy
from states import Family, Tier

router = APIRouter(include_in_schema=False)


def manager(request: Request, who: Visitor) -> None:
    """Policies are managers' business: org.yaml `permissions.manage_policies` says whose."""
    require(request, who, "manage_policies", "open the policy workbench")


def family_of(family: str) -> Family:
    try:
        return Family(family)
    except ValueError:
        raise Refused(404, f"no policy family {family!r} (known: property, enterprise)") from None


@router.get("/policies", response_class=HTMLResponse)
def policies(request: Request, who: Signed) -> Response:
    manager(request, who)
    book = context(request).desk.book
    return render(request, "policies.html", who, policies=[book.current(f) for f in Family])


@router.get("/policies/{family}", response_class=HTMLResponse)
def policy(request: Request, family: str, who: Signed, version: str | None = None) -> Response:
    """The version in force, or an earlier one (`?version=`): what complaints classified under it follow."""
    manager(request, who)
    try:
        shown = context(request).desk.policy_version(family_of(family).value, version)
    except NotFound as missing:
        raise Refused(404, str(missing)) from None
    year = context(request).clock().astimezone(ZoneInfo(shown.spec.timezone)).year
    clocks = {tier.value: views.clock_rules(shown, tier.value) for tier in Tier}
    return render(request, "policy.html", who, p=shown, spec=shown.spec, days=unusual_days(shown, year), year=year,
                  publications=context(request).desk.publications(family), zone=shown.spec.timezone, clocks=clocks)


def unusual_days(policy: Policy, year: int) -> list[tuple[date, str, bool]]:
    """The year's days that are not what the weekday suggests: holidays on weekdays, make-up
    workdays (调休) on weekends, the company's own days off."""
    found = []
    day = date(year, 1, 1)
    while day.year == year:
        kind = policy.calendar.day_kind(day)
        if kind.working != (day.weekday() < 5):
            found.append((day, kind.why, kind.working))
        day += timedelta(days=1)
    return found


@router.get("/policies/{family}/draft", response_class=HTMLResponse)
def draft(request: Request, family: str, who: Signed) -> Response:
    manager(request, who)
    current = context(request).desk.book.current(family_of(family))
    source = Path(current.source)
    text = source.read_text(encoding="utf-8") if source.is_file() else ""
    return render(request, "draft.html", who, family=family, text=text, problems=None, checked=None, result=None,
                  days=30)


@router.post("/policies/{family}/draft", response_class=HTMLResponse)
def check_draft(request: Request, family: str, who: Sender,
                text: Annotated[str, Form(max_length=MAX_POLICY_BYTES)]) -> Response:
    """Checks the draft as `desk policy check` does and shows each problem at its line."""
    manager(request, who)
    family_of(family)
    checked, problems = check(text)
    if checked is not None and str(checked.family) != family:
        problems = [{"line": None, "key": "family",
                     "message": f"this is a {checked.family} policy, not {family}"}]
        checked = None
    return render(request, "draft.html", who, 422 if problems else 200, family=family, text=text,
                  problems=problems, checked=checked, result=None, days=30)


def check(text: str) -> tuple[Policy | None, list[dict[str, Any]]]:
    try:
        return Policy(parse_policy(text, "draft"), "draft"), []
    except PolicyError as error:
        return None, [{"line": p.line, "key": p.key, "message": p.message} for p in error.problems]


@router.post("/policies/{family}/draft/whatif", response_class=HTMLResponse)
async def what_if_draft(request: Request, family: str, who: Sender,
                        text: Annotated[str, Form(max_length=MAX_POLICY_BYTES)],
                        days: Annotated[int, Form(ge=1, le=366)] = 30) -> Response:
    """The draft replayed against the complaints of the last `days`: before and after, by tier
    and stage, by escalation level, and which complaints' outcome changes (numbers only)."""
    manager(request, who)
    family_of(family)
    checked, problems = check(text)
    if checked is None or str(checked.family) != family:
        wrong = [{"line": None, "key": "family", "message": f"this is not a {family} policy"}]
        return render(request, "draft.html", who, 422, family=family, text=text, checked=None, result=None,
                      days=days, problems=problems or wrong)
    ctx = context(request)
    prefect = prefect_api()
    if prefect is None:  # no Prefect to hand it to (desk serve alone): replayed here and now
        result = await run_in_threadpool(what_if, ctx.desk, checked, days, now=ctx.clock())
        return render(request, "draft.html", who, family=family, text=text, problems=[], checked=checked,
                      result=result, days=days)
    # A long replay runs as the policy-whatif flow; the page watches its progress on the desk's row.
    try:
        asked = await run_in_threadpool(replays.ask, ctx.desk, family, text, days, actor=who.person, now=ctx.clock())
        run_id = await run_in_threadpool(start_run, prefect, "policy-whatif/on-request", {"replay": asked},
                                         name=f"whatif {family} #{asked}", tags=["complaint-desk", family])
    except DeskError as refused:
        problems = [{"line": None, "key": "what-if", "message": str(refused)}]
        return render(request, "draft.html", who, 503, family=family, text=text, problems=problems,
                      checked=checked, result=None, days=days)
    await run_in_threadpool(replays.started, ctx.desk, asked, run_id)
    return RedirectResponse(f"/policies/{family}/replays/{asked}", status_code=303)


@router.get("/policies/{family}/replays/{replay_id}", response_class=HTMLResponse)
def replay(request: Request, family: str, replay_id: int, who: Signed) -> Response:
    """A replay's progress (the page polls itself while it runs), then its result."""
    manager(request, who)
    ctx = context(request)
    try:
        found = replays.read(ctx.desk, replay_id, reader=who.person)
    except NotFound as missing:
        raise Refused(404, str(missing)) from None
    run_url = operations.flow_run_link(operations.prefect_ui_base(os.environ), found.flow_run_id)
    return render(request, "replay.html", who, r=found, run_url=run_url, zone=ctx.desk.zone_of(found.family))


@router.post("/policies/{family}/draft/publish", response_class=HTMLResponse)
async def publish(request: Request, family: str, who: Sender,
                  text: Annotated[str, Form(max_length=MAX_POLICY_BYTES)]) -> Response:
    """Puts the draft in force as a new version (permissions.publish_policy), then shows what
    re-applying it to the open complaints would change: a dry run, nothing saved."""
    manager(request, who)
    family_of(family)
    ctx = context(request)
    try:
        done = await run_in_threadpool(ctx.desk.publish_policy, family, text, actor=who.person, now=ctx.clock())
    except PolicyError as error:
        problems = [{"line": p.line, "key": p.key, "message": p.message} for p in error.problems]
        return render(request, "draft.html", who, 422, family=family, text=text, problems=problems, checked=None,
                      result=None, days=30)
    except NotPermitted as refused:
        raise Refused(403, str(refused)) from None
    except DeskError as refused:
        problems = [{"line": None, "key": "publish", "message": str(refused)}]
        return render(request, "draft.html", who, 409, family=family, text=text, problems=problems, checked=None,
                      result=None, days=30)
    return await _reapplied(request, who, family, dry_run=True, published=done)


@router.post("/policies/{family}/reapply", response_class=HTMLResponse)
async def reapply(request: Request, family: str, who: Sender) -> Response:
    """Moves the open complaints on older versions to the version in force (permissions.reapply_policy)."""
    manager(request, who)
    family_of(family)
    return await _reapplied(request, who, family, dry_run=False, published=None)


async def _reapplied(request: Request, who: Visitor, family: str, *, dry_run: bool, published: Any) -> Response:
    ctx = context(request)
    try:
        moved = await run_in_threadpool(ctx.desk.reapply_policy, family, actor=who.person, now=ctx.clock(),
                                        dry_run=dry_run)
        refused = None
    except NotPermitted as refusal:
        moved, refused = [], str(refusal)
    return render(request, "published.html", who, family=family, published=published, moved=moved, dry_run=dry_run,
                  refused=refused, version=ctx.desk.book.current(family).version, zone=ctx.desk.zone_of(family))


@router.post("/policies/{family}/draft/explain", response_class=HTMLResponse)
def explain_deadline(request: Request, family: str, who: Sender,
                     text: Annotated[str, Form(max_length=MAX_POLICY_BYTES)],
                     kind: Annotated[str, Form(alias="type", max_length=64)],
                     moment: Annotated[str, Form(max_length=40)],
                     ) -> Response:
    """Every stage deadline the draft gives a type received at a moment (local time), and why."""
    manager(request, who)
    family_of(family)
    checked, problems = check(text)
    shown: dict[str, Any] = {"family": family, "text": text, "problems": problems, "checked": checked,
                             "result": None, "days": 30, "asked": {"type": kind, "moment": moment}}
    if checked is None:
        return render(request, "draft.html", who, 422, **shown)
    zone = ZoneInfo(checked.spec.timezone)
    try:
        received = datetime.fromisoformat(moment)
        received = received.replace(tzinfo=zone) if received.tzinfo is None else received
        shown["explained"] = views.explain(checked, kind.strip(), None, received)
    except ValueError:
        shown["problems"] = [{"line": None, "key": "moment", "message": f"'{moment}' is not a date and time"}]
        return render(request, "draft.html", who, 422, **shown)
    except DeskError as refused:
        shown["problems"] = [{"line": None, "key": "type", "message": str(refused)}]
        return render(request, "draft.html", who, 422, **shown)
    return render(request, "draft.html", who, **shown, zone=zone)
