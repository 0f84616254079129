"""Every error as RFC 9457 `application/problem+json`: a title, the status, one sentence of
detail, and where the fault is in the request. Never a traceback; never the complainant's data
(pydantic's echo of the offending input is dropped)."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from desk.errors import (
    BadInput,
    ConcurrentUpdate,
    DatabaseUnavailable,
    DeskError,
    KeyReused,
    KeyTaken,
    NotFound,
    NotPermitted,
)
from policies import PolicyError
from states import ComplaintError, TriggerNotAllowed

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("desk.api")
ROW = re.compile(r"^(?:body: )?row (\d+): ")  # a batch row, as desk.intake numbers them
FIELD = re.compile(r"^([a-z_][a-z0-9_.\[\]-]*): ")  # the desk's messages start with the field they name

TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not permitted", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Changed since you read it",
          413: "Too large", 415: "Unsupported media type", 422: "Invalid input", 428: "Precondition required",
          500: "Internal error", 503: "Database unavailable"}


class Problem(Exception):
    """Raised by routes for the cases the desk's own errors do not cover."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(error: DeskError | ComplaintError) -> int:
    if isinstance(error, DatabaseUnavailable):
        return 503
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, NotPermitted):
        return 403
    if isinstance(error, ConcurrentUpdate):
        return 412
    if isinstance(error, KeyReused | KeyTaken | ComplaintError):
        return 409
    return 422  # BadInput and any other refusal of a value


def desk_error(error: DeskError | ComplaintError) -> JSONResponse:
    status = status_of(error)
    extra: dict[str, Any] = {}
    if isinstance(error, TriggerNotAllowed):
        extra = {"state": error.state, "allowed": list(error.allowed)}
    elif isinstance(error, BadInput):
        lines = [line for line in str(error).splitlines() if line.strip()]
        extra = {"errors": [_located(line) for line in (lines[1:] if len(lines) > 1 else lines)]}
    headers = {"Retry-After": "5"} if status == 503 else None
    return problem(status, str(error), headers, **extra)


def _located(line: str) -> dict[str, Any]:
    """`body: row 3: name: required` -> row 3, field name; `tier: 'x' is not a tier` -> field tier."""
    text = line.strip()
    row = ROW.match(text)
    if row is not None:
        text = text[row.end():]
    found = FIELD.match(text)
    where: dict[str, Any] = {"row": int(row.group(1))} if row else {}
    return {**where, "field": found.group(1), "message": text[found.end():]} if found else {**where, "message": text}


def install(app: FastAPI) -> None:
    @app.exception_handler(DeskError)
    async def _desk(_: Request, error: DeskError) -> JSONResponse:
        return desk_error(error)

    @app.exception_handler(ComplaintError)
    async def _complaint(_: Request, error: ComplaintError) -> JSONResponse:
        return desk_error(error)

    @app.exception_handler(PolicyError)
    async def _policy(_: Request, error: PolicyError) -> JSONResponse:
        return problem(422, f"{len(error.problems)} problem(s) in the policy",
                       errors=[{"line": p.line, "field": p.key, "message": p.message} for p in error.problems])

    @app.exception_handler(Problem)
    async def _problem(_: Request, error: Problem) -> JSONResponse:
        headers = error.extra.pop("headers", None)
        return problem(error.status, error.detail, headers, **error.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]} for e in error.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(422, detail + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""), errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, error: HTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), dict(error.headers or {}) or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # Logged with the path only: the request body may hold a complainant's details.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "the desk hit an unexpected error; nothing was half-saved (each step is one "
                            "transaction). Operations can find it in the server log")
