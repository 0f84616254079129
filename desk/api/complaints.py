"""Complaints over HTTP: intake (single and batch, idempotent), the list, one complaint, and
every verb of the desk derived from its one table (desk.verbs).

No `from __future__ import annotations` here: the verb routes are built in a loop, and FastAPI
reads each route's body type from its annotations at definition time.
"""

import hashlib
import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from desk import views
from desk.api.context import Api, Caller, Context, Now, api, now, token_holder, unauthenticated
from desk.api.models import DETAILS, BatchFiled, IntakeBody, VerbDone
from desk.api.problems import MEDIA_TYPE, Problem
from desk.intake import parse_rows
from desk.service import Outcome
from desk.verbs import VERBS, Verb

router = APIRouter()
NUMBER = r"^[A-Z]{1,4}-\d{4}-\d{6,9}$"
Number = Annotated[str, Path(pattern=NUMBER, max_length=32, description="e.g. TS-2026-000123")]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="any unique text of yours (a UUID): sending the same request again files it once")]
IfMatch = Annotated[str | None, Header(
    alias="If-Match", max_length=40, description="the ETag of the complaint as you read it: refused (412) if "
                                                 "someone changed it since")]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for status, text in ((400, "a malformed header or body (not UTF-8, JSON nested too deep)"),
                         (401, "no valid token"), (403, "the policy does not permit it"), (404, "no such complaint"),
                         (409, "not allowed in the complaint's state, or a key reused"),
                         (412, "changed since you read it"), (413, "the body is too large"),
                         (422, "a field is invalid"),
                         (503, "the database is unavailable"))}
WITHIN = re.compile(r"^(\d{1,4})([smhd])$")


def scoped(actor: str, key: str | None) -> str | None:
    """An Idempotency-Key is the caller's own: two integrations using the same text never meet."""
    if key is None:
        return None
    return "api:" + hashlib.sha256(f"{actor}\n{key}".encode()).hexdigest()


def as_json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The model as JSON, serialised once by pydantic: a Response returned as such is not
    validated again against the route's response model (which would build the view twice). The
    route still declares that model, so the OpenAPI document and its fuzzing check the shape."""
    return Response(model.model_dump_json(), status, headers, media_type="application/json")


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = re.fullmatch(r'\s*(?:W/)?"?(\d{1,9})"?\s*', if_match)
    if found is None:
        raise Problem(400, f"If-Match: '{if_match}' is not an ETag this API gave (such as \"3\")")
    return int(found.group(1))


@router.post("/complaints", status_code=201, response_model=views.Receipt, tags=["intake"],
             operation_id="file_complaint",
             summary="File a complaint (受理); the same key or reference files it once",
             responses={200: {"description": "a replay: this key or reference already filed it",
                              "model": views.Receipt}, **PROBLEMS})
def file_complaint(body: IntakeBody, ctx: Context, who: Caller, at: Now,
                   idempotency_key: IdempotencyKey = None) -> Response:
    filed = ctx.desk.file(actor=who, now=at, family=body.family, complainant=body.contact(), channel=body.channel,
                          key=scoped(who, idempotency_key), received_at=body.received_at, details=body.details(),
                          source=body.source, external_id=body.external_id)
    headers = {"Location": f"/api/v1/complaints/{filed.number}"}
    if not filed.created:
        headers["Idempotent-Replayed"] = "true"
    return as_json(ctx.desk.receipt(filed.number), 201 if filed.created else 200, headers)


BATCH_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"type": "array", "maxItems": 5000, "items": {
            "type": "object", "additionalProperties": False,
            "properties": {**{f: {"type": "string"} for f in (
                "family", "channel", "received_at", "name", "phone", "email", "address", "description", "request",
                *DETAILS, "external_id")}, "key": {"type": "string", "description": "the row's idempotency key"}},
            "required": ["family", "name", "description"]}}},
        "text/csv": {"schema": {"type": "string", "description": "a header row, then one complaint per row "
                                                                 "(the same columns as `desk file --from`)"}},
    },
}


@router.post("/complaints/batch", response_model=BatchFiled, tags=["intake"], openapi_extra={"requestBody": BATCH_BODY},
             summary="File many: every bad row reported at once, nothing filed from a rejected batch",
             responses={**PROBLEMS, 415: {**PROBLEMS[422], "description": "neither JSON nor CSV"}})
async def file_batch(request: Request, who: Caller) -> BatchFiled:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/json", "text/csv"):
        raise Problem(415, "body: send a JSON array (application/json) or a CSV text (text/csv)")
    text = (await request.body()).decode("utf-8")  # the body guard has checked it is UTF-8
    ctx = api(request)
    at = now(request)

    def file_all() -> BatchFiled:
        rows = parse_rows(text, "json" if kind == "application/json" else "csv", "body", at)
        rows = [row.__class__(**{**row.__dict__, "key": scoped(who, row.key)}) for row in rows]
        filed = ctx.desk.file_many(rows, actor=who, now=at)
        created = sum(f.created for f in filed)
        return BatchFiled(filed=created, replayed=len(filed) - created, numbers=[f.number for f in filed])

    return await run_in_threadpool(file_all)


@router.get("/complaints", response_model=views.Page, tags=["complaints"],
            summary="Complaints, newest first or soonest to breach; personal data masked", responses=PROBLEMS)
def list_complaints(ctx: Context, who: Caller, at: Now,
                    state: Annotated[str | None, Query(max_length=32)] = None,
                    tier: Annotated[str | None, Query(max_length=16)] = None,
                    family: Annotated[str | None, Query(max_length=16)] = None,
                    handler: Annotated[str | None, Query(max_length=64)] = None,
                    overdue: bool = False,
                    sort: Annotated[str, Query(pattern="^(received|breach)$")] = "received",
                    limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    cursor: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    filters = views.Filters.checked(state=state, tier=tier, family=family, handler=handler, overdue=overdue,
                                    limit=limit, sort=sort, cursor=cursor)
    return as_json(ctx.desk.list_complaints(filters, at, reader=who))


@router.get("/complaints/{number}", response_model=views.ComplaintView, tags=["complaints"],
            operation_id="read_complaint",
            summary="A complaint: timeline, deadlines with verdicts, time to breach, next escalation",
            responses=PROBLEMS)
def read_complaint(number: Number, ctx: Context, who: Caller, at: Now,
                   reveal: Annotated[bool, Query(description="unmask the complainant (the policy's `reveal` "
                                                             "permission; recorded)")] = False) -> Response:
    view = ctx.desk.read_complaint(number, at, reader=who, reveal=reveal, via="api")
    return as_json(view, headers={"ETag": etag(view.version)})


def _verb_route(verb: Verb) -> None:
    body_type = verb.body

    def act(number: Number, body: body_type, request: Request,  # type: ignore[valid-type]
            person: Annotated[str | None, Depends(token_holder)], if_match: IfMatch = None) -> Response:
        ctx: Api = api(request)
        at: datetime = now(request)
        if person is None:
            ctx.desk.refuse_unknown_caller(number, verb.trigger, at)
            raise unauthenticated()
        outcome: Outcome = verb.call(ctx.desk, number, body, actor=person, now=at,
                                     expected_version=expected_version(if_match))
        e = outcome.event
        return as_json(VerbDone(number=outcome.number, status=outcome.status, version=outcome.version, event=e.name,
                                source=e.source, dest=e.dest, actor=e.actor, at=e.at),
                       headers={"ETag": etag(outcome.version)})

    act.__name__ = verb.method
    router.add_api_route(f"/complaints/{{number}}/{verb.name}", act, methods=["POST"], response_model=VerbDone,
                         operation_id=verb.method,
                         tags=["verbs"], summary=verb.summary, description=(body_type.__doc__ or "").strip(),
                         responses=PROBLEMS)


for _verb in VERBS:
    _verb_route(_verb)


def within(text: str) -> timedelta:
    found = WITHIN.match(text)
    if found is None:
        raise Problem(422, f"within: '{text}' is not a duration such as 15m, 1h or 1d")
    amount, unit = int(found.group(1)), found.group(2)
    span = timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[unit]: amount})
    if span > timedelta(days=31):
        raise Problem(422, f"within: '{text}' is longer than 31 days")
    return span


__all__ = ["router", "within"]
