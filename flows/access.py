"""How a flow run reaches the desk: from the environment, like the CLI (DESK_DATABASE_URL, ...)."""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

from prefect import State, get_run_logger
from prefect.states import Failed

from desk.config import Settings
from desk.errors import DeskError
from desk.notify import Notifier, notifier_from
from desk.service import Desk

ZONE = ZoneInfo(os.environ.get("DESK_TIMEZONE", "Asia/Shanghai"))  # for run names people read


def open_desk() -> Desk:
    """The desk the environment names, opened once per process and settings: a sweep's tasks
    share it rather than each reading the policies and the directory again."""
    return _opened(Settings.from_env())


@lru_cache(maxsize=8)
def _opened(settings: Settings) -> Desk:
    return Desk.open(settings)


def notifier() -> Notifier:
    settings = Settings.from_env()
    return notifier_from(os.environ.get("DESK_NOTIFY_URL"), Path(settings.home))


def local_minute(moment: datetime) -> str:
    """`2026-11-22T10:00+08:00`: how report run names show when a report ran."""
    return moment.astimezone(ZONE).isoformat(timespec="minutes")


def local_second(moment: datetime) -> str:
    """`19:31:28`: how a sweep's run name shows when it ran (Prefect shows the date beside it)."""
    return moment.astimezone(ZONE).strftime("%H:%M:%S")


def rename_run(name: str) -> None:
    """Renames the current flow run (`urgent 19:31:28 · 2 escalated`): the runs list then says
    what each sweep did without opening it. A name is decoration: failing to set it is no failure."""
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    run_id = flow_run.id
    if run_id is None:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(UUID(run_id), name=name)
    except Exception as error:  # the API may be briefly unreachable; the run's work is done and saved
        get_run_logger().warning("could not rename the run to %r: %s", name, error)


def failed(error: DeskError) -> State:
    """A run that failed for a reason the desk can say in one sentence (the database is down, the
    settings are unusable): Failed with that sentence, without a traceback in the run's logs.
    These are conditions for operations to fix, not bugs; the next scheduled run catches up."""
    return Failed(message=str(error))
