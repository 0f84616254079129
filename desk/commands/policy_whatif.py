"""`desk policy whatif`: what a draft policy would have done to the complaints of the last days,
beside what the policy they were under did; tables of counts and complaint numbers only."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo

import typer

from desk.commands.common import moment, now, open_desk, print_json, reports_errors
from desk.commands.output import fail

if TYPE_CHECKING:  # `desk policy check` imports this module: the replay and storage only when it runs
    from desk.whatif import Side, WhatIf

LISTED = 100  # changed numbers printed; --json lists them all
AGAINST: dict[str, Literal["recorded", "in_force"]] = {"recorded": "recorded", "in-force": "in_force"}


@reports_errors
def whatif(
    draft: Annotated[Path, typer.Argument(help="the draft policy file (a family's policy YAML)")],
    days: Annotated[int, typer.Option(help="replay the complaints received in this many days before --until")] = 30,
    against: Annotated[str, typer.Option(
        help="recorded: each complaint's own policy version; in-force: the version in force now")] = "recorded",
    until: Annotated[str | None, typer.Option(
        help="ISO 8601 end of the window, with its offset (default: now)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Replay the complaints of the last days under a draft policy and compare (numbers only).

    Each complaint's recorded events are played again under the draft's calendar, deadlines
    and ladders, and under the policy it is compared with, by the same code."""
    if against not in AGAINST:
        fail(f"--against: '{against}' is not one of {', '.join(AGAINST)}")
    from desk.whatif import what_if  # the replay and the storage it reads, only when it runs
    from policies import load_policy

    policy = load_policy(draft)  # a draft with a mistake is reported before any database is opened
    end = moment(until, "--until") or now()
    result = what_if(open_desk(), policy, days, now=end, progress=_progress(), compared_with=AGAINST[against])
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        _print(result, ZoneInfo(policy.spec.timezone))


def _progress() -> Callable[[int, int], None] | None:
    """A line per 1,000 complaints when nobody watches a terminal (a long replay in a log)."""
    def report(done: int, total: int) -> None:
        if total >= 1000 and (done % 1000 == 0 or done == total):
            typer.echo(f"replayed {done}/{total} complaints", err=True)
    return report if not sys.stderr.isatty() else None


def _print(w: WhatIf, zone: ZoneInfo) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    before = f"before ({', '.join(w.compared_versions) or '-'})"
    after = f"after (draft {w.draft_version})"
    basis = ("each under the version it was classified under" if w.compared_with == "recorded"
             else "under the version in force now")
    since, until = (f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" for moment in (w.since, w.until))
    console.print(escape(f"{w.family}: {w.replayed} complaint(s) received {since} to {until} ({w.days} days) "
                         f"replayed under draft {w.draft_version} and {basis}"), highlight=False)

    summary = Table(title="Before and after")
    for column in ("", before, after, "change"):
        summary.add_column(escape(column), justify="left" if not column else "right")
    for label, field in (("deadlines", "deadlines"), ("breaches", "breaches"), ("escalations", "escalations"),
                         ("notices", "notices")):
        b, a = getattr(w.before, field), getattr(w.after, field)
        summary.add_row(label, str(b), str(a), _signed(a - b))
    summary.add_row("mean margin to deadline", *_margins(w.before, w.after, "mean_margin_s"))
    summary.add_row("mean lateness of breaches", *_margins(w.before, w.after, "mean_late_s"))
    console.print(summary)

    stages = Table(title="Breaches by tier and stage")
    for column in ("tier", "stage", "deadlines", "breaches before", "breaches after", "change",
                   "mean margin before", "mean margin after"):
        stages.add_column(column, justify="right" if column not in ("tier", "stage") else "left")
    for r in w.stages:
        deadlines = str(r.deadlines_after) if r.deadlines_before == r.deadlines_after \
            else f"{r.deadlines_before} → {r.deadlines_after}"
        stages.add_row(r.tier, r.stage, deadlines, str(r.breaches_before), str(r.breaches_after),
                       _signed(r.breaches_after - r.breaches_before), _duration(r.mean_margin_before_s),
                       _duration(r.mean_margin_after_s))
    console.print(stages)

    levels = Table(title="Escalations by level")
    for column in ("level", "action", "before", "after", "change"):
        levels.add_column(column, justify="left" if column == "action" else "right")
    for row in w.levels:
        levels.add_row(str(row.level), ", ".join(row.actions), str(row.before), str(row.after),
                       _signed(row.after - row.before))
    notices = Table(title="Notices that would be sent (one per role a rung names)")
    for column in ("notice", "before", "after", "change"):
        notices.add_column(column, justify="left" if column == "notice" else "right")
    for n in w.notices:
        notices.add_row(n.action, str(n.before), str(n.after), _signed(n.after - n.before))
    console.print(levels, notices)

    for label, numbers in (("outcome changes", w.changed), ("breach under the draft only", w.now_breaching),
                           ("no longer breach", w.no_longer_breaching), ("not replayed", w.skipped)):
        if numbers or label == "outcome changes":
            more = f" … and {len(numbers) - LISTED} more (--json lists all)" if len(numbers) > LISTED else ""
            console.print(f"{label} ({len(numbers)}): {' '.join(numbers[:LISTED]) or 'none'}{more}",
                          highlight=False, soft_wrap=True)
    if w.skipped_types:
        console.print(escape(f"not in the draft: {', '.join(w.skipped_types)}"), highlight=False)


def _margins(b: Side, a: Side, field: str) -> tuple[str, str, str]:
    was, will = getattr(b, field), getattr(a, field)
    change = _duration(will - was, signed=True) if was is not None and will is not None else ""
    return _duration(was), _duration(will), change


def _signed(n: int) -> str:
    return f"{n:+d}" if n else "0"


def _duration(seconds: float | None, *, signed: bool = False) -> str:
    """`2 d 4 h`, `-3 h 20 min`, `45 min`: how long, in the units a manager reads a deadline in."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else "+" if signed and seconds > 0 else ""
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        return f"{sign}{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{sign}{hours} h {minutes % 60} min" if minutes % 60 else f"{sign}{hours} h"
    return f"{sign}{hours // 24} d {hours % 24} h"
