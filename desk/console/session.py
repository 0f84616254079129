"""Who is at the console, and whether a form really came from a page we served.

A session is a token of its own (desk.tokens.open_session) kept in an HttpOnly, SameSite=Strict
cookie; each request looks it up, so signing out, revoking or a person leaving the directory ends
it at once, on every worker. The CSRF token is an HMAC of the session's token: a page we served
carries it in every form (and htmx sends it as a header); another site can neither read nor
compute it. Nothing is kept in process memory, so any number of workers serve the same session.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from desk.api.context import Api, api
from desk.errors import NotPermitted

COOKIE = "desk_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInNeeded(Exception):  # a redirect to the sign-in page, not a failure
    def __init__(self, back_to: str) -> None:
        self.back_to = back_to


class Refused(Exception):  # answered as a page naming the rule
    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


@dataclass(frozen=True)
class Visitor:
    person: str
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), b"desk console csrf", hashlib.sha256).hexdigest()


async def visitor(request: Request) -> Visitor:
    """The signed-in person; anyone else is sent to sign in and brought back afterwards."""
    token = request.cookies.get(COOKIE)
    ctx = api(request)
    person = await run_in_threadpool(ctx.tokens.holder, token, ctx.clock()) if token else None
    if person is None or token is None:
        raise SignInNeeded(quote(request.url.path + (f"?{request.url.query}" if request.url.query else "")))
    if ctx.desk.directory.org.is_integration(person):
        raise Refused(403, f"{person} is an integration account: it files over the API, it has no console")
    return Visitor(person, token)


async def form_sender(request: Request, who: Annotated[Visitor, Depends(visitor)]) -> Visitor:
    """The signed-in person, for a POST whose form (or htmx header) carries their CSRF token."""
    form = await request.form()  # Starlette keeps it: the route reads the same form again
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, who.csrf):
        raise Refused(403, "this form did not come from a page of this console (its CSRF token is missing "
                           "or wrong): reload the page and send it again")
    return who


def same_site(request: Request) -> None:
    """Sign-in has no session to bind a token to: refuse a form posted from another site instead
    (browsers say where a request comes from in Sec-Fetch-Site and Origin)."""
    fetched = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if fetched not in (None, "same-origin", "none") or (
            origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}"):
        raise Refused(403, "sign-in is accepted only from this console's own page")


def require(request: Request, who: Visitor, permission: str, what: str) -> None:
    """Refuses, naming org.yaml's rule, a page or action that the person's roles are not given."""
    try:
        api(request).desk.directory.check_holds(who.person, permission, what)
    except NotPermitted as refused:
        raise Refused(403, str(refused)) from None


Signed = Annotated[Visitor, Depends(visitor)]
Sender = Annotated[Visitor, Depends(form_sender)]


def context(request: Request) -> Api:
    return api(request)
