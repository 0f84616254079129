"""Looking at complaints: `desk show`, `desk list`, `desk board`, `desk tasks`, and `desk sweep`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from desk.commands.common import AS_HELP, actor, moment, now, open_desk, print_json, reports_errors
from desk.commands.output import fail
from desk.lanes import LANES, TIERS

console = Console()
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %m-%d %H:%M") if value else ""


def _span(seconds: int) -> str:
    hours, rest = divmod(seconds // 60, 60)
    days, hours = divmod(hours, 24)
    return " ".join(part for part in (f"{days}d" if days else "", f"{hours}h" if hours else "",
                                      f"{rest}m" if rest or not (days or hours) else "") if part)


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def show(number: Annotated[str, typer.Argument(help="complaint number")], as_json: Json = False,
             reveal: Annotated[bool, typer.Option(help="show the complainant's full contact details "
                                                       "(where the policy allows you; recorded)")] = False,
             as_: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None) -> None:
        """A complaint's timeline: states, who, deadlines met or missed, escalations, hand-offs."""
        desk = open_desk()
        view = desk.read_complaint(number, now(), reader=actor(as_) if reveal else None, reveal=reveal)
        if as_json:
            print_json(view.model_dump(mode="json"))
            return
        zone = ZoneInfo(view.zone)
        person = view.complainant
        console.print(f"[bold]{view.number}[/] {view.family} · {view.type or 'unclassified'} · "
                      f"{view.tier or 'no tier yet'} · [bold]{view.status}[/] · version {view.version}",
                      highlight=False)
        console.print(f"first responder {view.first_responder} (accountable until closed) · handler {view.handler}"
                      f"{' in ' + view.department if view.department else ''} · complainant {escape(person.name)} "
                      f"{escape(person.phone or '')} · round {view.round}, bounces {view.bounces}", highlight=False)
        timeline = Table("when", "event", "move", "by", "details", box=None, pad_edge=False)
        for e in view.events:
            move = f"{e.source or ''} → {e.dest}" if e.source != e.dest else f"({e.dest})"
            # Escaped: staff's words are not markup (a "[name]" placeholder would vanish otherwise).
            details = escape(", ".join(f"{k}={v}" for k, v in e.data.items() if v not in (None, [], "")))
            timeline.add_row(_local(e.at, zone), e.name, move, e.actor, details)
        console.print(timeline)
        table = Table("stage", "round", "due", "met", "", box=None, pad_edge=False)
        for d in view.deadlines:
            colour = {"met": "green", "missed": "red", "overdue": "red", "open": "yellow", "paused": "blue"}[d.verdict]
            held = f" since {_local(d.paused_since, zone)}" if d.paused_since else (" (extended)" if d.extended else "")
            table.add_row(d.stage, str(d.round), _local(d.due_at, zone), _local(d.met_at, zone),
                          f"[{colour}]{d.verdict}{held}[/]")
        console.print(table)
        if view.pauses:
            # Paused time is shown as the deadlines count it: clock time and the calendar's working time.
            pauses = Table("paused", "resumed", "why", "held", "for", box=None, pad_edge=False, title="clock stopped")
            for p in view.pauses:
                resumed = (f"{_local(p.resumed_at, zone)} by {p.resumed_by}" if p.resumed_at
                           else f"still paused (resumes by itself {_local(p.cap_ends, zone)})")
                pauses.add_row(f"{_local(p.at, zone)} by {p.by}", resumed,
                               escape(p.reason + (f": {p.note}" if p.note else "")), ", ".join(p.stages),
                               f"{_span(p.seconds)} ({p.working_minutes // 60}h{p.working_minutes % 60:02d}m working)")
            console.print(pauses)
            console.print(f"paused in all: {_span(view.paused_seconds)}, never counted as a breach", highlight=False)
        if view.extensions:
            extensions = Table("#", "stage", "asked", "why", "due → new due", "decision", box=None, pad_edge=False,
                               title="extensions (延期)")
            for x in view.extensions:
                decision = x.status + (f" by {x.decided_by} {_local(x.decided_at, zone)}" if x.decided_by else "")
                extensions.add_row(str(x.id), x.stage, f"{_local(x.asked_at, zone)} by {x.asked_by}", escape(x.reason),
                                   f"{_local(x.due_before, zone)} → {_local(x.new_due, zone)}",
                                   decision + (f": {escape(x.note)}" if x.note else ""))
            console.print(extensions)
        for promised in view.promises:
            state = {True: "kept", False: "[red]broken[/]", None: "to come"}[promised.kept]
            console.print(f"promised by {promised.by} at {_local(promised.at, zone)}: {escape(promised.reason)} — by "
                          f"{_local(promised.promised_for, zone)}, {state}", highlight=False)
        for referred in view.referrals:
            answer = (f"answered by {referred.answered_by} {_local(referred.answered_at, zone)}: "
                      f"{escape(referred.answer or '')}" if referred.answered_at else "[yellow]not answered yet[/]")
            console.print(f"referred by {referred.by} at {_local(referred.at, zone)} to {referred.to} "
                          f"({', '.join(referred.people)}): {escape(referred.reason)} — {answer}", highlight=False)
        if view.next_escalation:
            nxt = view.next_escalation
            console.print(f"next escalation: {nxt.stage} level {nxt.level} at {_local(nxt.due_at, zone)}",
                          highlight=False)
        if view.refusals:
            refusals = Table("when", "refused", "by", "in state", "why", box=None, pad_edge=False, title="refused")
            for r in view.refusals:
                refusals.add_row(_local(r.at, zone), r.trigger, r.actor, r.status, escape(r.reason))
            console.print(refusals)

    @app.command("list")
    @reports_errors
    def list_(state: Annotated[str | None, typer.Option(help="e.g. assigned")] = None,
              tier: Annotated[str | None, typer.Option()] = None,
              family: Annotated[str | None, typer.Option()] = None,
              handler: Annotated[str | None, typer.Option()] = None,
              overdue: Annotated[bool, typer.Option("--overdue", help="only those past a stage deadline")] = False,
              by_breach: Annotated[bool, typer.Option("--by-breach", help="soonest to breach first "
                                                                          "(default: newest first)")] = False,
              limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200, as_json: Json = False) -> None:
        """Complaints, newest first; personal data masked."""
        from desk.views import Filters  # here, not at the top: `desk --help` stays quick

        desk = open_desk()
        page = desk.list_complaints(Filters.checked(state=state, tier=tier, family=family, handler=handler,
                                                    overdue=overdue, limit=limit,
                                                    sort="breach" if by_breach else "received"), now())
        if as_json:
            print_json([row.model_dump(mode="json") for row in page.rows])
            return
        table = Table("number", "family", "type", "tier", "state", "handler", "complainant", "next due", "",
                      box=None, pad_edge=False)
        for r in page.rows:
            table.add_row(r.number, r.family, r.type or "", r.tier or "", r.status, r.handler, escape(r.complainant),
                          _local(r.next_due, desk.zone_of(r.family)), "[red]overdue[/]" if r.overdue else "")
        console.print(table)
        console.print(f"{len(page.rows)} complaint(s){' (more: raise --limit)' if page.next_cursor else ''}")

    @app.command()
    @reports_errors
    def board(as_json: Json = False) -> None:
        """Counts by tier and state, what is overdue, and how far escalations have climbed."""
        data = open_desk().board(now())
        if as_json:
            print_json(data.model_dump(mode="json"))
            return
        table = Table("tier", "state", "count", box=None, pad_edge=False)
        for row in data.by_tier_and_state:
            table.add_row(row.tier, row.state, str(row.count))
        console.print(table)
        overdue = ", ".join(f"{tier} {n}" for tier, n in data.overdue_by_tier.items()) or "none"
        levels = ", ".join(f"level {level}: {n}" for level, n in data.open_by_escalation_level.items()) or "none"
        console.print(f"open {data.open} of {data.total} · overdue by tier: {overdue} · "
                      f"open by escalation level: {levels}", highlight=False)

    @app.command()
    @reports_errors
    def tasks(as_: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None, as_json: Json = False) -> None:
        """What waits on me: complaints I handle or own, callbacks due, approvals, referrals, extensions."""
        desk = open_desk()
        data = desk.tasks(actor(as_), now())
        if as_json:
            print_json(data.model_dump(mode="json"))
            return
        console.print(f"[bold]{data.person}[/]: {len(data.complaints)} complaint(s), {len(data.callbacks)} "
                      f"callback(s), {len(data.approvals)} approval(s), {len(data.asks)} referral(s) or extension(s) "
                      "waiting", highlight=False)
        for r in data.complaints:
            flag = " [red]overdue[/]" if r.overdue else ""
            console.print(f"  {r.number} {r.status} ({r.role}) next due "
                          f"{_local(r.next_due, desk.zone_of(r.family))}{flag}", highlight=False)
        for cb in data.callbacks:
            console.print(f"  callback {cb.number} attempt {cb.attempt} due {_local(cb.due_at, desk.zone_of(None))}",
                          highlight=False)
        for a in data.approvals:
            console.print(f"  approve {a.number} #{a.approval} {a.action} {a.amount or ''} "
                          f"asked by {a.requested_by}", highlight=False)
        for k in data.asks:
            verb = "answer-referral --referral" if k.kind == "referral" else "approve-extension --extension"
            console.print(f"  {verb} {k.ask} {k.number} ({k.about}) asked by {k.asked_by} "
                          f"{_local(k.asked_at, desk.zone_of(None))}", highlight=False)

    @app.command()
    @reports_errors
    def sweep(at: Annotated[str | None, typer.Option(help="ISO 8601 moment to sweep at; default: now")] = None,
              limit: Annotated[int, typer.Option(min=1)] = 10_000,
              tier: Annotated[str | None, typer.Option(help="only this tier's lanes (urgent, important, "
                                                            "general); default: every lane, urgent first")] = None,
              as_json: Json = False) -> None:
        """Fire every timer due now: escalations along the ladder, evidence windows, callbacks due."""
        if tier is not None and tier not in TIERS:
            fail(f"--tier: '{tier}' is not a tier ({', '.join(TIERS)})")
        desk = open_desk()
        moment_at = moment(at, "--at") or now()
        lanes = [lane for lane in LANES if tier in (None, lane.tier)]
        fired = desk.fire_due_timers(moment_at, limit=limit, lanes=lanes)
        rows: list[dict[str, Any]] = [
            {"number": f.number, "tier": f.tier, "type": f.type, "kind": f.kind, "stage": f.stage, "level": f.level,
             "action": f.action, "notified": list(f.notified), "late_by_s": int(f.late_by.total_seconds())}
            for f in fired
        ]
        if as_json:
            print_json(rows)
            return
        for r in rows:
            typer.echo(f"{r['number']} {r['stage']} level {r['level']}: {r['action']}"
                       f"{' → ' + ', '.join(r['notified']) if r['notified'] else ''}")
        typer.echo(f"{len(rows)} timer(s) fired; next due: {desk.next_due_at(lanes) or 'none'}")
