"""What every `desk` command shares: opening the desk, who acts, the clock, and clean errors."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from desk.commands.output import fail
from desk.config import Settings
from desk.errors import DeskError
from policies import PolicyError
from states import ComplaintError

if TYPE_CHECKING:
    from desk.service import Desk

P = ParamSpec("P")
R = TypeVar("R")

AS_HELP = "who is acting (a person id from policies/org.yaml); default: $DESK_USER"


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turns the desk's refusals into one line on stderr and exit code 1; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (DeskError, ComplaintError) as error:
            fail(str(error), code=1)
        except PolicyError as error:
            fail(str(error), code=1)

    return wrapper


def open_desk() -> Desk:
    from desk.service import Desk  # the storage stack, imported only by the commands that open the desk

    return Desk.open(Settings.from_env())


def actor(as_: str | None) -> str:
    person = as_ or Settings.from_env().user
    if not person:
        fail("who is acting? give --as ID or set DESK_USER")
    return person


def now() -> datetime:
    """The one place the CLI reads the clock; everything below gets the moment passed in."""
    return datetime.now(UTC)


def moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: '{text}' is not an ISO 8601 time such as 2026-11-23T09:00+08:00")
    if value.utcoffset() is None:
        fail(f"{option}: '{text}' needs a UTC offset such as +08:00")
    return value


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
