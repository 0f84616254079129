"""`desk export`: complaints as JSON lines or CSV for analysts; `--redact` before sharing them."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from desk import export as exporting
from desk.commands.common import now, open_desk, reports_errors
from desk.commands.output import fail
from desk.service import Desk
from desk.store.extract import Selection
from states import Family

FORMATS = ("json", "csv")
ZONE = ZoneInfo("Asia/Shanghai")  # a bare date means midnight where the desk works, as `desk list` shows times


@reports_errors
def export(
    redact: Annotated[bool, typer.Option(
        "--redact", help="leave out the complainant's name, phone, e-mail and address; give a complainant_ref "
                         "instead and scrub free text of them and of any phone, e-mail or ID-card number")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="write to FILE (created readable by you only) instead of stdout")] = None,
    format_: Annotated[str, typer.Option("--format", help="json (one object per line) or csv")] = "json",
    family: Annotated[str | None, typer.Option(help="property or enterprise; default: both")] = None,
    since: Annotated[str | None, typer.Option(
        help="only complaints received since: a date (2026-11-01, midnight Asia/Shanghai) or an ISO 8601 time "
             "with offset")] = None,
) -> None:
    """Complaints for analysis: state, type, tier, times, first responder, handler, every event (name, time,
    actor, arguments) and each stage deadline met or missed.

    Without --redact every row carries the complainant's name, phone, e-mail, address, description and
    request: that export is for authorised staff only (保密原则) and must not leave them. Use --redact
    for anything shared with analysts.
    """
    if format_ not in FORMATS:
        fail(f"--format: '{format_}' is not a format (json, csv)")
    if family and family not in {f.value for f in Family}:
        fail(f"--family: '{family}' is not a family (property, enterprise)")
    job = exporting.Export(Selection(family, _since(since)), redact, now())
    desk = open_desk()
    total = exporting.count(desk, job.selection)
    try:
        with _opened(output) as stream:
            written = _write(desk, job, stream, total, as_csv=format_ == "csv")
    except BrokenPipeError:
        # The reader stopped early (`| head`): it has whole lines; stop without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except OSError as error:
        fail(f"--output: cannot write {output}: {error.strerror or error}")
    how = " (redacted)" if redact else " (with personal data: authorised staff only)"
    typer.echo(f"{written} complaint(s) exported{how}{f' to {output}' if output else ''}", err=True)


def _write(desk: Desk, job: exporting.Export, stream: IO[str], total: int, *, as_csv: bool) -> int:
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    console = Console(stderr=True)
    written = 0
    # Progress only where someone watches: piped or redirected, stderr keeps just the count line.
    with Progress(*columns, console=console, transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("exporting", total=total)
        sheet = csv.DictWriter(stream, fieldnames=exporting.COLUMNS) if as_csv else None
        if sheet:
            sheet.writeheader()
        for row in exporting.rows(desk, job, progress=lambda done: progress.update(task, completed=done)):
            if sheet:
                sheet.writerow(exporting.csv_cells(row))
            else:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    return written


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--since: '{text}' is not a date such as 2026-11-01 or an ISO 8601 time such as 2026-11-23T09:00+08:00")
    if value.utcoffset() is None:
        if len(text.strip()) > 10:  # a time of day without its offset would be guessed
            fail(f"--since: '{text}' needs a UTC offset such as +08:00")
        value = value.replace(tzinfo=ZONE)
    return value


@contextmanager
def _opened(path: Path | None) -> Iterator[IO[str]]:
    """stdout, or a new file only its owner can read: a full export holds people's details."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8",
              newline="") as stream:
        yield stream
