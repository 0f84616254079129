"""The application: `/api/v1` for integrations and the console, `/docs` for people reading it.

    uvicorn --factory desk.api.app:create_app     (what `desk serve` runs)

Each process opens the desk once (migrations checked, policies loaded, directory synced) and
is otherwise stateless: run as many as the database takes, behind any load balancer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from desk import console
from desk.api import complaints, problems, reads
from desk.api.context import Api, system_clock
from desk.api.guard import BodyGuard
from desk.config import Settings
from desk.service import Desk
from desk.tokens import Tokens
from desk.verbs import VERBS

PREFIX = "/api/v1"
PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "state": {"type": "string"},
                   "allowed": {"type": "array", "items": {"type": "string"}},
                   "errors": {"type": "array", "items": {"type": "object"}}},
    "description": "RFC 9457 problem details",
}


def _link_the_journey(schema: dict[str, Any]) -> None:
    """OpenAPI links: a filed complaint's number leads to reading it and to every verb, and a
    verb's answer back to the complaint; generated clients (and schemathesis) follow them."""
    by_number = {"number": "$response.body#/number"}
    onward = {"read": {"operationId": "read_complaint", "parameters": by_number},
              **{verb.method: {"operationId": verb.method, "parameters": by_number} for verb in VERBS}}
    paths = schema["paths"]
    for status in ("200", "201"):
        paths[f"{PREFIX}/complaints"]["post"]["responses"][status]["links"] = onward
    for verb in VERBS:
        paths[f"{PREFIX}/complaints/{{number}}/{verb.name}"]["post"]["responses"]["200"]["links"] = onward


def create_app(desk: Desk | None = None, clock: Callable[[], datetime] = system_clock) -> FastAPI:
    """The API over `desk` (opened from the environment when not given) with `clock` as its time."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = desk or Desk.open(Settings.from_env())
        app.state.api = Api(opened, Tokens(opened.engine, opened.directory), clock)
        yield
        if desk is None:
            opened.engine.dispose()

    app = FastAPI(title="Complaint Desk", version="1", lifespan=lifespan, docs_url="/docs", redoc_url=None,
                  openapi_url=f"{PREFIX}/openapi.json",
                  description="Complaints under first-responsibility (首诉负责制): file, move, read. "
                              "Every request carries `Authorization: Bearer <token>`.")
    app.add_middleware(BodyGuard)
    problems.install(app)
    app.include_router(complaints.router, prefix=PREFIX)
    app.include_router(reads.router, prefix=PREFIX)
    console.mount(app)  # the same process, use-cases and read models serve people's pages

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            _link_the_journey(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
