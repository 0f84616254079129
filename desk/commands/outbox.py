"""`desk outbox [--failed | --retried | --all]` and `desk outbox retry ID --as PERSON`: the
notifications the desk owes, and sending one it gave up on again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from desk.commands.common import AS_HELP, actor, now, open_desk, print_json, reports_errors
from desk.commands.output import fail

if TYPE_CHECKING:
    from desk.outbox import Show

HELP = "Notifications owed, retrying, given up (failed) or retried; retry one the desk gave up on."
app = typer.Typer(help=HELP, invoke_without_command=True)


@app.callback()
@reports_errors
def listed(ctx: typer.Context,
           failed: Annotated[bool, typer.Option("--failed", help="only those that failed at least once")] = False,
           retried: Annotated[bool, typer.Option("--retried", help="only those an operator retried")] = False,
           all_: Annotated[bool, typer.Option("--all", help="sent ones too, newest first")] = False,
           limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
           as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from desk.outbox import outbox_page  # the storage stack: only when listing, not for `--help`

    if failed + retried + all_ > 1:
        fail("give one of --failed, --retried, --all")
    show: Show = "failed" if failed else "retried" if retried else "all" if all_ else "owed"
    page = outbox_page(open_desk(), show, limit)
    if as_json:
        print_json(page.model_dump(mode="json"))
        return
    c = page.counts
    typer.echo(f"owed: {c.pending} pending, {c.retrying} retrying, {c.failed} failed · {c.retried} retried by "
               "an operator")
    for n in page.rows:
        when = (f"next try {n.next_attempt_at:%Y-%m-%d %H:%M}Z" if n.next_attempt_at else
                f"sent {n.delivered_at:%Y-%m-%d %H:%M}Z" if n.delivered_at else
                f"gave up {n.gave_up_at:%Y-%m-%d %H:%M}Z" if n.gave_up_at else "")
        retry = f" · retried by {n.retried_by} {n.retried_at:%Y-%m-%d %H:%M}Z" if n.retried_at else ""
        error = f" · {n.last_error}" if n.last_error else ""
        typer.echo(f"#{n.id} {n.status} {n.number} {n.tier} {n.kind} → {n.recipient} · {n.attempts} attempt(s) · "
                   f"{when}{retry}{error}")


@app.command("retry")
@reports_errors
def retry(notification: Annotated[int, typer.Argument(help="the notification's number from `desk outbox`")],
          as_: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None) -> None:
    """Send a notification that failed again now (policies/org.yaml permissions.operate)."""
    tier = open_desk().retry_notification(notification, actor=actor(as_), now=now())
    typer.echo(f"notification #{notification} is due again: the next {tier} sweep sends it")
