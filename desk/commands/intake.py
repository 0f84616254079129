"""`desk file`: register one complaint from flags, or many from a JSON/CSV file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from desk.commands.common import AS_HELP, actor, moment, now, open_desk, reports_errors
from desk.commands.output import fail
from desk.intake import read_rows


@reports_errors
def file(
    family: Annotated[str | None, typer.Option(help="property or enterprise")] = None,
    name: Annotated[str | None, typer.Option(help="the complainant's name")] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    address: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option(help="what happened, in their words")] = None,
    request: Annotated[str | None, typer.Option(help="what they ask for")] = None,
    channel: Annotated[str, typer.Option(help="phone, counter, app, web or email")] = "phone",
    key: Annotated[str | None, typer.Option(help="idempotency key: filing twice with it files once")] = None,
    received_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset; default: now")] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="bulk import: a .json list or a .csv")] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="bulk import: rows per transaction")] = 500,
    as_: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None,
) -> None:
    """Register a complaint (受理). Whoever files it is its first responder until it is closed."""
    person, moment_now = actor(as_), now()
    if from_file is not None:
        _bulk(from_file, person, moment_now, batch)
        return
    if family is None:
        fail("--family is required (property or enterprise), or use --from FILE")
    desk = open_desk()
    filed = desk.file(
        actor=person, now=moment_now, family=family, channel=channel, key=key,
        received_at=moment(received_at, "--received-at"),
        complainant={"name": name, "phone": phone, "email": email, "address": address,
                     "description": description, "request": request},
    )
    typer.echo(f"{filed.number} {'filed' if filed.created else 'was already filed under that key'}; "
               f"first responder: {person}")


def _bulk(path: Path, person: str, moment_now: datetime, batch: int) -> None:
    rows = read_rows(path, moment_now)  # every bad row reported before anything is written
    desk = open_desk()
    columns = (TextColumn("filing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    interactive = _interactive()
    with Progress(*columns, transient=True, disable=not interactive) as progress:
        task = progress.add_task("filing", total=len(rows))

        def filed_so_far(done: int) -> None:
            progress.update(task, completed=done)
            if not interactive:  # a log gets a line per committed batch instead of a bar
                typer.echo(f"{path}: {done}/{len(rows)} saved", err=True)

        filed = desk.file_many(rows, actor=person, now=moment_now, batch=batch, progress=filed_so_far)
    created = sum(1 for f in filed if f.created)
    typer.echo(f"{path}: {created} filed, {len(filed) - created} already filed under their keys "
               f"({filed[0].number} .. {filed[-1].number})")


def _interactive() -> bool:
    import sys

    return sys.stderr.isatty()
