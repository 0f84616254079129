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
from desk.privacy import mask_name, mask_phone
from desk.redact import Complainant, scrub, scrub_values
from desk.store import queries
from desk.store.codec import plain
from desk.timers import stage_deadlines
from states import Family, Tier

console = Console()
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %m-%d %H:%M") if value else ""


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def show(number: Annotated[str, typer.Argument(help="complaint number")], as_json: Json = False,
             reveal: Annotated[bool, typer.Option(help="show the complainant's full contact details")] = False) -> None:
        """A complaint's timeline: states, who, deadlines met or missed, escalations, hand-offs."""
        desk = open_desk()
        with desk.reading() as uow:
            loaded = uow.complaints.get(number)
            person = uow.complaints.complainant(loaded.id)
            refused = uow.refusals.of(loaded.id)
            timers = uow.timers.keys_of(loaded.id)
            policy = desk.book.for_complaint(loaded.complaint, uow)
        c = loaded.complaint
        zone = ZoneInfo(policy.spec.timezone)
        deadlines: list[dict[str, Any]] = [
            {"stage": s.stage, "round": s.round, "due_at": s.due_at, "met_at": s.met_at,
             "verdict": "open" if s.met_at is None else "met" if s.met_in_time else "missed"}
            for s in stage_deadlines(policy, c, timers)
        ]
        contact = ({k: person.get(k) for k in ("name", "phone", "email", "address")} if reveal else
                   {"name": mask_name(person.get("name")), "phone": mask_phone(person.get("phone"))})
        # Reasons and notes are typed by staff and often name the complainant or quote their number:
        # without --reveal those are hidden like the contact line is.
        own = Complainant.of(person)

        def hide(text: str) -> str:
            return text if reveal else scrub(text, own, patterns=False)

        if as_json:
            print_json({
                "number": c.number, "family": c.family.value, "type": c.type, "tier": c.tier, "status": c.status,
                "first_responder": c.first_responder, "handler": c.handler, "department": c.department,
                "policy_version": c.policy_version, "version": loaded.version, "round": c.round,
                "reopen_count": c.reopen_count, "bounces": c.bounces, "complainant": contact,
                "events": [scrub_values(plain(e), hide) for e in c.events], "deadlines": deadlines,
                "handoffs": [scrub_values(plain(h), hide) for h in c.handoffs],
                "approvals": [scrub_values(plain(a), hide) for a in c.approvals],
                "refusals": [{**{k: r[k] for k in ("trigger", "actor", "at", "kind", "status")},
                              "reason": hide(r["reason"])} for r in refused],
            })
            return
        console.print(f"[bold]{c.number}[/] {c.family} · {c.type or 'unclassified'} · {c.tier or 'no tier yet'} · "
                      f"[bold]{c.status}[/] · version {loaded.version}", highlight=False)
        console.print(f"first responder {c.first_responder} (accountable until closed) · handler {c.handler}"
                      f"{' in ' + c.department if c.department else ''} · complainant {contact['name']} "
                      f"{contact['phone'] or ''} · round {c.round}, bounces {c.bounces}", highlight=False)
        timeline = Table("when", "event", "move", "by", "details", box=None, pad_edge=False)
        for e in c.events:
            move = f"{e.source or ''} → {e.dest}" if e.source != e.dest else f"({e.dest})"
            # Escaped: staff's words are not markup (a "[name]" placeholder would vanish otherwise).
            details = escape(hide(", ".join(f"{k}={v}" for k, v in e.data.items() if v not in (None, [], ""))))
            timeline.add_row(_local(e.at, zone), e.name, move, e.actor, details)
        console.print(timeline)
        table = Table("stage", "round", "due", "met", "", box=None, pad_edge=False)
        for d in deadlines:
            colour = {"met": "green", "missed": "red", "open": "yellow"}[str(d["verdict"])]
            table.add_row(str(d["stage"]), str(d["round"]), _local(d["due_at"], zone), _local(d["met_at"], zone),
                          f"[{colour}]{d['verdict']}[/]")
        console.print(table)
        if refused:
            refusals = Table("when", "refused", "by", "in state", "why", box=None, pad_edge=False, title="refused")
            for r in refused:
                refusals.add_row(_local(r["at"], zone), r["trigger"], r["actor"], r["status"],
                                 escape(hide(r["reason"])))
            console.print(refusals)

    @app.command("list")
    @reports_errors
    def list_(state: Annotated[str | None, typer.Option(help="e.g. assigned")] = None,
              tier: Annotated[str | None, typer.Option()] = None,
              family: Annotated[str | None, typer.Option()] = None,
              handler: Annotated[str | None, typer.Option()] = None,
              overdue: Annotated[bool, typer.Option("--overdue", help="only those past a stage deadline")] = False,
              limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200, as_json: Json = False) -> None:
        """Complaints, newest first; personal data masked."""
        if tier and tier not in {t.value for t in Tier}:
            fail(f"--tier: '{tier}' is not a tier (urgent, important, general)")
        if family and family not in {f.value for f in Family}:
            fail(f"--family: '{family}' is not a family (property, enterprise)")
        desk = open_desk()
        with desk.reading() as uow:
            rows = queries.list_complaints(uow.connection, queries.Filters(state, tier, family, handler, overdue,
                                                                           limit), now())
        for row in rows:
            row["name"], row["phone"] = mask_name(row["name"]), mask_phone(row["phone"])
            row["overdue"] = bool(row["overdue"])
        if as_json:
            print_json(rows)
            return
        zone = ZoneInfo("Asia/Shanghai")
        table = Table("number", "family", "type", "tier", "state", "handler", "complainant", "next due", "",
                      box=None, pad_edge=False)
        for r in rows:
            table.add_row(r["number"], r["family"], r["type"] or "", r["tier"] or "", r["status"], r["handler"],
                          f"{r['name']} {r['phone']}", _local(r["next_due"], zone),
                          "[red]overdue[/]" if r["overdue"] else "")
        console.print(table)
        console.print(f"{len(rows)} complaint(s)")

    @app.command()
    @reports_errors
    def board(as_json: Json = False) -> None:
        """Counts by tier and state, what is overdue, and how far escalations have climbed."""
        desk = open_desk()
        with desk.reading() as uow:
            data = queries.board(uow.connection, now())
        if as_json:
            print_json(data)
            return
        table = Table("tier", "state", "count", box=None, pad_edge=False)
        for row in sorted(data["by_tier_and_state"], key=lambda r: (str(r["tier"]), r["state"])):
            table.add_row(str(row["tier"] or "unclassified"), row["state"], str(row["count"]))
        console.print(table)
        console.print(f"open {data['open']} of {data['total']} · overdue by tier: {data['overdue_by_tier'] or 'none'}"
                      f" · open by escalation level: {data['open_by_escalation_level'] or 'none'}", highlight=False)

    @app.command()
    @reports_errors
    def tasks(as_: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None, as_json: Json = False) -> None:
        """What is waiting on me: complaints I handle or own, callbacks due, approvals asked of me."""
        person = actor(as_)
        desk = open_desk()
        desk.directory.require(person)
        roles = desk.directory.roles_of(person)
        callback_roles = {}
        for family in Family:
            by = desk.book.current(family).spec.revisit.by
            callback_roles[family.value] = [by] if by == "first_responder" or by in roles else []
        with desk.reading() as uow:
            data = queries.tasks(uow.connection, person, callback_roles, now())
        if as_json:
            print_json(data)
            return
        zone = ZoneInfo("Asia/Shanghai")
        console.print(f"[bold]{person}[/]: {len(data['complaints'])} complaint(s), {len(data['callbacks'])} "
                      f"callback(s), {len(data['approvals'])} approval(s) waiting", highlight=False)
        for r in data["complaints"]:
            role = "owner" if r["first_responder"] == person else "handler"
            flag = " [red]overdue[/]" if r["overdue"] else ""
            console.print(f"  {r['number']} {r['status']} ({role}) next due {_local(r['next_due'], zone)}{flag}",
                          highlight=False)
        for r in data["callbacks"]:
            console.print(f"  callback {r['number']} attempt {r['attempt']} due {_local(r['due_at'], zone)}",
                          highlight=False)
        for r in data["approvals"]:
            console.print(f"  approve {r['number']} #{r['approval_no']} {r['action']} {r['amount'] or ''} "
                          f"asked by {r['requested_by']}", highlight=False)

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
