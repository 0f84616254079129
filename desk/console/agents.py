"""Agents' and handlers' pages: my queue, the complaint page with the actions this person may
take now, and the registration form (登记表). Every page calls the same use-cases and read models
as the API and the CLI; the desk checks the policy's permissions, the page shows its refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from desk.api.models import IntakeBody
from desk.api.problems import status_of  # a refusal reads the same, and answers the same, in both doors
from desk.console.forms import fields_of, read
from desk.console.session import Refused, Sender, Signed, context
from desk.console.web import render
from desk.errors import ConcurrentUpdate, DeskError, NotFound, NotPermitted
from desk.verbs import BY_NAME, VERBS
from desk.views import TaskComplaint
from states import ComplaintError

router = APIRouter(include_in_schema=False)
SOON = 3_600  # "breaching within 1 hour"
# The soonest to breach come first: past the first hundred a filter or a tab serves better than
# scrolling, and a page of thousands of rows is slow to send and to read.
SHOWN = 100
TABS = ("all", "overdue", "soon")
FORMS = {verb.name: fields_of(verb.body) for verb in VERBS}
INTAKE_FIELDS = [f for f in fields_of(IntakeBody) if f.name not in ("received_at", "source", "external_id")]


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, who: Signed, tab: str = "all", tier: str = "", state: str = "",
          family: str = "") -> Response:
    """My queue: complaints I own or handle (soonest breach first), callbacks due, approvals asked of me."""
    ctx = context(request)
    now = ctx.clock()
    tasks = ctx.desk.tasks(who.person, now)
    rows = [c for c in tasks.complaints
            if (not tier or c.tier == tier) and (not state or c.status == state) and (not family or c.family == family)]
    counts = {"all": len(rows), "overdue": sum(c.overdue for c in rows), "soon": sum(map(breaching_soon, rows))}
    if tab == "overdue":
        rows = [c for c in rows if c.overdue]
    elif tab == "soon":
        rows = [c for c in rows if breaching_soon(c)]
    rows.sort(key=lambda c: (c.seconds_to_breach is None, c.seconds_to_breach or 0))
    matching, rows = len(rows), rows[:SHOWN]
    template = "_queue_rows.html" if request.headers.get("hx-request") and request.headers.get(
        "hx-target") == "queue-rows" else "queue.html"
    return render(request, template, who, tasks=tasks, rows=rows, matching=matching, tab=tab, tabs=TABS,
                  counts=counts,
                  chosen={"tier": tier, "state": state, "family": family}, zone=ctx.desk.zone_of(None),
                  states=sorted({c.status for c in tasks.complaints}))


def breaching_soon(c: TaskComplaint) -> bool:
    """Not overdue yet, but within the hour."""
    return not c.overdue and c.seconds_to_breach is not None and c.seconds_to_breach < SOON


@router.get("/board", response_class=HTMLResponse)
def board(request: Request, who: Signed) -> Response:
    """Open complaints by tier and state, overdue ones by tier, open ones by escalation level."""
    ctx = context(request)
    shown = ctx.desk.board(ctx.clock(), reader=who.person)
    tiers = sorted({c.tier for c in shown.by_tier_and_state})
    states = sorted({c.state for c in shown.by_tier_and_state})
    cells = {(c.tier, c.state): c.count for c in shown.by_tier_and_state}
    return render(request, "board.html", who, b=shown, tiers=tiers, states=states, cells=cells)


@router.get("/complaints/{number}", response_class=HTMLResponse)
def complaint(request: Request, number: str, who: Signed) -> Response:
    return _page(request, number, who)


@router.post("/complaints/{number}/reveal", response_class=HTMLResponse)
def reveal(request: Request, number: str, who: Sender) -> Response:
    """The complainant's details unmasked, for those the policy's `reveal` permits; recorded."""
    return _page(request, number, who, reveal=True)


def _page(request: Request, number: str, who: Signed, status: int = 200, reveal: bool = False,
          **shown: Any) -> Response:
    ctx = context(request)
    try:
        view, actions = ctx.desk.complaint_page(number, ctx.clock(), reader=who.person, reveal=reveal)
    except NotFound as missing:
        return render(request, "problem.html", who, 404, title="not_found", message=str(missing))
    except NotPermitted as refused:
        return render(request, "problem.html", who, 403, title="forbidden", message=str(refused))
    # What the family's policy lets a complaint wait for, offered as suggestions (the desk decides).
    suggest = {"pause": {"reason": ctx.desk.book.current(view.family).spec.pause.reasons}}
    page = render(request, "complaint.html", who, status, c=view, actions=actions, forms=FORMS, verbs=BY_NAME,
                  zone=view.zone, suggest=suggest, errors=shown.get("errors", {}), failed=shown.get("failed"),
                  message=shown.get("message"), stale=shown.get("stale"), sent=shown.get("sent", {}))
    # A refused form is answered at its action's URL; the address bar (and a reload) should show
    # the complaint, not a URL that only takes POSTs.
    page.headers["HX-Push-Url"] = f"/complaints/{view.number}"
    return page


@router.post("/complaints/{number}/{verb}", response_class=HTMLResponse)
async def act(request: Request, number: str, verb: str, who: Sender) -> Response:
    """One action form: the verb's body from the form, If-Match from its hidden version field.
    A stale page is never written over: it says who changed the complaint and offers a reload.
    (Async to read the form; the desk's work goes to the thread pool, off the event loop.)"""
    found = BY_NAME.get(verb)
    if found is None:
        raise Refused(404, f"no action {verb!r}")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    body, errors = read(found.body, form)
    if body is None:
        return await run_in_threadpool(_page, request, number, who, 422, errors=errors, failed=verb, sent=form)
    ctx = context(request)
    version = form.get("version", "")
    expected = int(version) if version.isdigit() else None
    try:
        await run_in_threadpool(found.call, ctx.desk, number, body, actor=who.person, now=ctx.clock(),
                                expected_version=expected)
    except ConcurrentUpdate as stale:
        return await run_in_threadpool(_page, request, number, who, 412, stale=str(stale), failed=verb, sent=form)
    except (DeskError, ComplaintError) as refused:
        return await run_in_threadpool(_page, request, number, who, status_of(refused),
                                       message=str(refused), failed=verb, sent=form)
    return RedirectResponse(f"/complaints/{number}", status_code=303)



@router.get("/file", response_class=HTMLResponse)
def intake(request: Request, who: Signed) -> Response:
    return render(request, "intake.html", who, fields=INTAKE_FIELDS, errors={}, sent={}, message=None)


@router.post("/file", response_class=HTMLResponse)
async def file(request: Request, who: Sender) -> Response:
    """The registration form: whoever files it is its first responder until it is closed."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    family = form.get("family")
    zone = context(request).desk.zone_of(family if family in ("property", "enterprise") else None)
    body, errors = read(IntakeBody, {**form, "source": "", "external_id": "", "received_at": ""}, zone)
    if body is None:
        return render(request, "intake.html", who, 422, fields=INTAKE_FIELDS, errors=errors, sent=form, message=None)
    ctx = context(request)
    try:
        filed = await run_in_threadpool(ctx.desk.file, actor=who.person, now=ctx.clock(), family=body.family,
                               complainant=body.contact(), channel=body.channel, details=body.details())
    except DeskError as refused:
        return render(request, "intake.html", who, status_of(refused), fields=INTAKE_FIELDS,
                      errors={}, sent=form, message=str(refused))
    return RedirectResponse(f"/complaints/{filed.number}", status_code=303)


@router.get("/file/repeats", response_class=HTMLResponse)
def repeats(request: Request, who: Signed, phone: Annotated[str, Query(max_length=40)] = "",
            name: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The hint beside the form (htmx, as the agent types): the same complainant's complaints."""
    ctx = context(request)
    found = ctx.desk.repeats(phone=phone.strip() or None, name=name.strip() or None, now=ctx.clock(),
                             reader=who.person, within=timedelta(days=90))
    return render(request, "_repeats.html", who, repeats=found, zone=ctx.desk.zone_of(None))

