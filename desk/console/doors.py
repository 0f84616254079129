"""Coming in and going out: sign-in with a personal token (or, while `make demo` runs, as a demo
person of one's choice), sign-out, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from desk.config import Settings, demo_policies
from desk.console.session import COOKIE, Sender, context, same_site
from desk.console.web import LANG_COOKIE, render
from desk.tokens import SESSION_LIFETIME

router = APIRouter(include_in_schema=False)


def demo_people(request: Request) -> list[tuple[str, str, list[str]]]:
    """The people one may sign in as without a token: only while a demo runs on this desk's home."""
    if demo_policies(Settings.from_env().home) is None:
        return []
    org = context(request).desk.directory.org
    return [(pid, p.name, p.roles) for pid, p in org.people.items()
            if p.active and not org.is_integration(pid)]


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, back: str = "/queue") -> Response:
    return render(request, "sign_in.html", None, back=_local(back), people=demo_people(request), message=None)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, token: Annotated[str, Form(max_length=200)] = "",
                  back: Annotated[str, Form(max_length=2_000)] = "/queue") -> Response:
    same_site(request)
    ctx = context(request)
    person = await run_in_threadpool(ctx.tokens.holder, token.strip(), ctx.clock())
    if person is None or ctx.desk.directory.org.is_integration(person):
        return render(request, "sign_in.html", None, 401, back=_local(back), people=demo_people(request),
                      message="this token is unknown, revoked or expired, or belongs to an integration account")
    return await _open(request, person, back)


@router.post("/sign-in/demo", response_class=HTMLResponse)
async def sign_in_demo(request: Request, person: Annotated[str, Form(max_length=64)],
                       back: Annotated[str, Form(max_length=2_000)] = "/queue") -> Response:
    same_site(request)
    if person not in {pid for pid, _, _ in demo_people(request)}:
        return render(request, "sign_in.html", None, 403, back=_local(back), people=demo_people(request),
                      message="signing in without a token is only for the demo's people while the demo runs")
    return await _open(request, person, back)


async def _open(request: Request, person: str, back: str) -> Response:
    ctx = context(request)
    issued = await run_in_threadpool(ctx.tokens.open_session, person=person, now=ctx.clock())
    answer = RedirectResponse(_local(back), status_code=303)
    answer.set_cookie(COOKIE, issued.token, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                      samesite="strict", secure=request.url.scheme == "https", path="/")
    return answer


@router.post("/sign-out")
async def sign_out(request: Request, who: Sender) -> Response:
    ctx = context(request)
    await run_in_threadpool(ctx.tokens.close_session, who.token, ctx.clock())
    answer = RedirectResponse("/sign-in", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer


@router.get("/language/{code}")
def switch_language(code: str, back: str = "/queue") -> Response:
    answer = RedirectResponse(_local(back), status_code=303)
    if code in ("zh", "en"):
        answer.set_cookie(LANG_COOKIE, code, max_age=365 * 86_400, samesite="lax", path="/")
    return answer


def _local(back: str) -> str:
    """Only a path of this console: a sign-in link must not send anyone to another site."""
    return back if back.startswith("/") and not back.startswith("//") and "\\" not in back else "/queue"
