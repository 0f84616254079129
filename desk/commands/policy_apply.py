"""`desk policy apply`: put edited policy files in force, and, only when a manager asks for it,
move open complaints onto the new version (`--reclassify`, with `--dry-run` to look first)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from desk.commands.common import AS_HELP, actor, now, open_desk, print_json, reports_errors
from desk.commands.output import fail
from states import Family

if TYPE_CHECKING:  # `desk policy check` and friends need no storage: open_desk imports it for `apply`
    from desk.planner import Rescheduled
    from desk.service import Desk, Reapplied


@reports_errors
def apply(
    reclassify: Annotated[bool, typer.Option(
        "--reclassify", help="move open complaints classified under older versions to the version in force; "
                             "their pending deadlines and escalations are recomputed")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="with --reclassify: list every complaint and deadline that would change; save nothing")
    ] = False,
    family: Annotated[str | None, typer.Option(help="property or enterprise (default: both)")] = None,
    as_: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Store the policy files' versions and report open complaints that follow older ones.

    Open complaints keep the deadlines of the version they were classified under; new ones
    follow the files. `--reclassify` moves the open ones too (permission: reapply_policy)."""
    if dry_run and not reclassify:
        fail("--dry-run goes with --reclassify: without it nothing is changed anyway")
    if family is not None and family not in {f.value for f in Family}:
        fail(f"--family: '{family}' is not a family (property, enterprise)")
    families = [family] if family else [f.value for f in Family]
    person = actor(as_) if reclassify else None
    moment = now()
    desk = open_desk()  # stores the files' versions, refusing an edit that kept its old version
    report: dict[str, object] = {}
    for name in families:
        policy = desk.book.current(name)
        if person is None:
            report[name] = in_force = _in_force(desk, name)
            if not as_json:
                typer.echo(str(in_force["summary"]))
            continue
        done = desk.reapply_policy(name, actor=person, now=moment, dry_run=dry_run, progress=_progress(name))
        report[name] = {"version": policy.version, "dry_run": dry_run,
                        "complaints": [_plain(r) for r in done]}
        if not as_json:
            _print_reapplied(name, policy.version, done, dry_run, ZoneInfo(policy.spec.timezone))
    if as_json:
        print_json(report)


def _in_force(desk: Desk, family: str) -> dict[str, object]:
    policy = desk.book.current(family)
    behind = desk.on_other_versions(family)
    by_version: dict[str, int] = {}
    for _, version in behind:
        by_version[version] = by_version.get(version, 0) + 1
    summary = f"{family} policy {policy.version} in force ({policy.source})"
    if behind:
        counts = ", ".join(f"{v}: {n}" for v, n in sorted(by_version.items()))
        summary += (f"; {len(behind)} open complaint(s) keep the deadlines of older versions ({counts}); "
                    f"`desk policy apply --reclassify --dry-run --family {family}` lists what moving them would change")
    else:
        summary += "; every open classified complaint follows it"
    return {"version": policy.version, "older": by_version, "summary": summary}


def _progress(family: str) -> Callable[[int, int], None] | None:
    """A line every 100 complaints when the run is long and nobody watches a terminal."""
    def report(done: int, total: int) -> None:
        if total >= 100 and (done % 100 == 0 or done == total):
            typer.echo(f"{family}: {done}/{total} complaints", err=True)
    return report if not sys.stderr.isatty() else None


def _print_reapplied(family: str, version: str, done: list[Reapplied], dry_run: bool, zone: ZoneInfo) -> None:
    for r in done:
        typer.echo(f"{r.number}: {r.before} → {r.after}" + ("" if r.changes else " (no deadline changes)"))
        for change in r.changes:
            typer.echo(f"  {_describe(change, zone)}")
    verb = "would move" if dry_run else "moved"
    tail = "; dry run: nothing was saved" if dry_run else ""
    typer.echo(f"{family}: {len(done)} open complaint(s) {verb} to policy {version}{tail}")


def _describe(change: Rescheduled, zone: ZoneInfo) -> str:
    what = {"stage_deadline": f"{change.stage} deadline", "escalation": f"{change.stage} escalation level "
            f"{change.level}", "revisit": f"revisit attempt {change.level}"}.get(
        change.kind, f"{change.stage} {change.kind.replace('_', ' ')}")
    what += f" (round {change.round})" if change.round > 1 else ""
    if change.before is None:
        return f"+ {what}: {_local(change.after, zone)}"
    if change.after is None:
        return f"- {what}: {_local(change.before, zone)} (no longer in the policy)"
    return f"  {what}: {_local(change.before, zone)} → {_local(change.after, zone)}"


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M") if moment else ""


def _plain(r: Reapplied) -> dict[str, object]:
    return {"number": r.number, "before": r.before, "after": r.after,
            "changes": [{"kind": c.kind, "stage": c.stage, "level": c.level, "round": c.round,
                         "before": c.before, "after": c.after} for c in r.changes]}
