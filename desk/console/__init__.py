"""The web console: pages for agents, handlers, managers and operations, served by the API's
own application (same process, same use-cases, same read models), htmx and no build step."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from desk.console import agents, doors, managers, operations
from desk.console.session import Refused, SignInNeeded
from desk.console.web import STATIC, render


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (doors.router, agents.router, managers.router, operations.router):
        app.include_router(router)

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, needed: SignInNeeded) -> Response:
        return RedirectResponse(f"/sign-in?back={needed.back_to}", status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, refusal: Refused) -> Response:
        title = {403: "forbidden", 404: "not_found"}.get(refusal.status, "problem")
        return render(request, "problem.html", None, refusal.status, title=title, message=refusal.message)
