"""Rendering: one Jinja2 environment (autoescaped: what people typed is shown as text, never
markup), the language of the page, and times in the policy's zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from desk.console.labels import choose, translator
from desk.console.session import Visitor, context

HERE = Path(__file__).parent
STATIC = HERE / "static"
LANG_COOKIE = "desk_lang"

env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def local(moment: datetime | None, zone: str | ZoneInfo = "Asia/Shanghai") -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).strftime("%Y-%m-%d %H:%M")


def span(seconds: int | None) -> str:
    """A time to breach as people say it: 2d 3h, 1h 05m, 4m 10s; "-" before an overdue one."""
    if seconds is None:
        return "—"
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    days, rest = divmod(s, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"


def urgency(seconds: int | None) -> str:
    """The countdown's colour: red when overdue, amber within the hour, green otherwise."""
    if seconds is None:
        return "none"
    return "red" if seconds < 0 else "amber" if seconds < 3_600 else "green"


env.filters.update(local=local, span=span, urgency=urgency)


def language(request: Request) -> str:
    return choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def render(request: Request, template: str, who: Visitor | None, status: int = 200, **data: Any) -> HTMLResponse:
    lang = language(request)
    directory = context(request).desk.directory
    manages = who is not None and directory.may_manage_policies(who.person)
    operates = who is not None and directory.may_operate(who.person)
    publishes = who is not None and directory.may_publish_policies(who.person)
    page = env.get_template(template).render(
        request=request, who=who, lang=lang, t=translator(lang), csrf=who.csrf if who else "", manages=manages,
        operates=operates, publishes=publishes, path=request.url.path, **data)
    return HTMLResponse(page, status_code=status, headers={
        # Pages carry a person's work: never cached, never framed, scripts only from here.
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                   "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    })
