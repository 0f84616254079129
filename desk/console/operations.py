"""Operations' pages: the escalations the sweeps will fire (next hour, next day) and those fired
today, each linked to the Prefect run that fired it; the outbox with a retry button; reports with
a compliance chart and CSV downloads. Numbers only: no complainant's details on these pages."""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from desk import operations, outbox, reports
from desk.console.session import Refused, Sender, Signed, Visitor, context, require
from desk.console.web import render
from desk.errors import DeskError, NotPermitted
from desk.lanes import TIERS

router = APIRouter(include_in_schema=False)
CSV = {"sla": reports.sla_csv, "rates": reports.rates_csv, "first-responders": reports.first_responders_csv}


def operator(request: Request, who: Visitor) -> None:
    require(request, who, "operate", "open the operations pages")


def reader_of_reports(request: Request, who: Visitor) -> None:
    directory = context(request).desk.directory
    if not (directory.may_operate(who.person) or directory.may_manage_policies(who.person)):
        raise Refused(403, f"{who.person} may not read the reports: policies/org.yaml permissions.operate "
                           "or permissions.manage_policies")


@router.get("/operations", response_class=HTMLResponse)
def escalations(request: Request, who: Signed) -> Response:
    operator(request, who)
    ctx = context(request)
    now, prefect = ctx.clock(), operations.prefect_ui_base(os.environ)
    return render(request, "operations.html", who, scheduled=operations.scheduled(ctx.desk, now, reader=who.person),
                  fired=operations.fired_today(ctx.desk, now, prefect, reader=who.person), prefect=prefect,
                  zone=ctx.desk.zone_of(None))


@router.get("/operations/outbox", response_class=HTMLResponse)
def notices(request: Request, who: Signed, show: Literal["owed", "failed", "retried", "all"] = "owed") -> Response:
    operator(request, who)
    ctx = context(request)
    return render(request, "outbox.html", who, page=outbox.outbox_page(ctx.desk, show, reader=who.person),
                  zone=ctx.desk.zone_of(None), message=None)


@router.post("/operations/outbox/{notice}/retry", response_class=HTMLResponse)
async def retry(request: Request, notice: int, who: Sender) -> Response:
    """Sends a notice the desk gave up on once more, at the next sweep of its tier."""
    ctx = context(request)
    try:
        await run_in_threadpool(ctx.desk.retry_notification, notice, actor=who.person, now=ctx.clock())
    except NotPermitted as refused:
        raise Refused(403, str(refused)) from None
    except DeskError as refused:
        page = outbox.outbox_page(ctx.desk, "failed", reader=who.person)
        return render(request, "outbox.html", who, 409, page=page, zone=ctx.desk.zone_of(None), message=str(refused))
    return RedirectResponse("/operations/outbox?show=retried", status_code=303)


@router.get("/reports", response_class=HTMLResponse)
def report_page(request: Request, who: Signed, family: str = "", start: str = "", end: str = "",
                bucket: Literal["day", "week"] = "day") -> Response:
    reader_of_reports(request, who)
    found, chosen = _report(request, who, family, start, end, bucket)
    return render(request, "reports.html", who, r=found, chosen=chosen, chart=compliance_chart(found),
                  query=request.url.query)


@router.get("/reports/{which}.csv")
def report_csv(request: Request, which: str, who: Signed, family: str = "", start: str = "", end: str = "",
               bucket: Literal["day", "week"] = "day") -> Response:
    reader_of_reports(request, who)
    if which not in CSV:
        raise Refused(404, f"no report {which!r} (sla, rates, first-responders)")
    found, _ = _report(request, who, family, start, end, bucket)
    return Response(CSV[which](found), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{which}-{found.start}-{found.end}.csv"'})


def _report(request: Request, who: Visitor, family: str, start: str, end: str,
            bucket: Literal["day", "week"]) -> tuple[reports.Report, dict[str, Any]]:
    ctx = context(request)
    now = ctx.clock()
    today = now.astimezone(ctx.desk.zone_of(family or None)).date()
    try:
        first = date.fromisoformat(start) if start else today - timedelta(days=29)
        last = date.fromisoformat(end) if end else today
        found = reports.report(ctx.desk, start=first, end=last, now=now, family=family or None, bucket=bucket,
                               reader=who.person)
    except ValueError as wrong:
        raise Refused(422, f"start/end: {wrong} (use YYYY-MM-DD)") from None
    except DeskError as refused:
        raise Refused(422, str(refused)) from None
    return found, {"family": family, "start": first.isoformat(), "end": last.isoformat(), "bucket": bucket}


def compliance_chart(found: reports.Report, width: int = 720, height: int = 200) -> dict[str, Any]:
    """SLA compliance per bucket and tier as SVG polylines (server-side: no chart library)."""
    buckets = sorted({cell.bucket for cell in found.sla})
    lines = []
    for tier, colour in zip(TIERS, ("#cf222e", "#9a6700", "#0969da"), strict=True):
        points: list[tuple[float, float]] = []
        for i, bucket in enumerate(buckets):
            cells = [c for c in found.sla if c.bucket == bucket and c.tier == tier]
            due = sum(c.met + c.missed + c.overdue for c in cells)
            if due:
                x = 40 + (width - 60) * (i / max(len(buckets) - 1, 1))
                y = 10 + (height - 40) * (1 - sum(c.met for c in cells) / due)
                points.append((round(x, 1), round(y, 1)))
        if points:  # a line, and a dot at each bucket (one bucket alone draws no line)
            lines.append({"tier": tier, "colour": colour, "dots": points,
                          "points": " ".join(f"{x},{y}" for x, y in points)})
    labels = [(40 + (width - 60) * (i / max(len(buckets) - 1, 1)), b.isoformat()[5:])
              for i, b in enumerate(buckets)][:: max(len(buckets) // 8, 1)]
    return {"width": width, "height": height, "lines": lines, "labels": labels}

