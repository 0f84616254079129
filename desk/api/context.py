"""What every route shares: the desk opened once per process, the clock, and the caller.

The dependencies are `async`: FastAPI runs a plain `def` dependency in its thread pool, a hop
of its own per dependency and request, which costs more than the work here. Only the token's
holder, a database read, goes to the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from desk.api.problems import Problem
from desk.service import Desk
from desk.tokens import Tokens

bearer = HTTPBearer(auto_error=False, description="a personal API token: `desk token create --for ID`")


@dataclass
class Api:
    desk: Desk
    tokens: Tokens
    clock: Callable[[], datetime]


def api(request: Request) -> Api:
    found: Api = request.app.state.api
    return found


def now(request: Request) -> datetime:
    return api(request).clock()


def system_clock() -> datetime:
    """The one place the API reads the clock; tests pass their own."""
    return datetime.now(UTC)


async def token_holder(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str | None:
    """The person the presented token speaks for, or None (no token, unknown, revoked, expired)."""
    if credentials is None:
        return None
    return await run_in_threadpool(api(request).tokens.holder, credentials.credentials, now(request))


def unauthenticated() -> Problem:
    return Problem(401, "give a valid API token: Authorization: Bearer <token> (desk token create --for ID); "
                        "this one is missing, unknown, revoked or expired",
                   headers={"WWW-Authenticate": 'Bearer realm="desk"'})


async def caller(person: Annotated[str | None, Depends(token_holder)]) -> str:
    if person is None:
        raise unauthenticated()
    return person


async def _api(request: Request) -> Api:
    return api(request)


async def _now(request: Request) -> datetime:
    return now(request)


Caller = Annotated[str, Depends(caller)]
Context = Annotated[Api, Depends(_api)]
Now = Annotated[datetime, Depends(_now)]
