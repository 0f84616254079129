"""How a flow run reaches the desk: from the environment, like the CLI (DESK_DATABASE_URL, ...)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import State
from prefect.states import Failed

from desk.config import Settings
from desk.errors import DeskError
from desk.notify import Notifier, notifier_from
from desk.service import Desk

ZONE = ZoneInfo(os.environ.get("DESK_TIMEZONE", "Asia/Shanghai"))  # for run names people read


def open_desk() -> Desk:
    return Desk.open(Settings.from_env())


def notifier() -> Notifier:
    settings = Settings.from_env()
    return notifier_from(os.environ.get("DESK_NOTIFY_URL"), Path(settings.home))


def local_minute(moment: datetime) -> str:
    """`2026-11-22T10:00+08:00`: how run names show when a sweep ran."""
    return moment.astimezone(ZONE).isoformat(timespec="minutes")


def failed(error: DeskError) -> State:
    """A run that failed for a reason the desk can say in one sentence (the database is down, the
    settings are unusable): Failed with that sentence, without a traceback in the run's logs.
    These are conditions for operations to fix, not bugs; the next scheduled run catches up."""
    return Failed(message=str(error))
