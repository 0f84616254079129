"""Where the desk keeps things, from the environment, with working defaults for one machine.

DESK_DATABASE_URL  any SQLAlchemy URL (postgresql://... uses psycopg 3); default: SQLite at .desk/desk.db
DESK_HOME          the folder for the default database and local state (default: .desk)
DESK_POLICY_DIR    where property.yaml, enterprise.yaml and org.yaml live (default: the shipped ones)
DESK_USER          who is acting, when a command is not given --as
DESK_NOTIFY_URL    a webhook (SMS or e-mail gateway) for the notices; default: notifications.log in DESK_HOME
DESK_NOTIFY_SECRET the secret every webhook request is signed with (HMAC-SHA256, headers X-Desk-*);
                   required when DESK_NOTIFY_URL is set: a webhook without it is refused
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from policies.policy import SHIPPED


@dataclass(frozen=True)
class Settings:
    database_url: str
    home: Path
    policy_dir: Path
    user: str | None
    notify_url: str | None = None
    notify_secret: str | None = field(default=None, repr=False)  # never in a log line or a traceback

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("DESK_HOME", ".desk"))
        url = os.environ.get("DESK_DATABASE_URL") or f"sqlite:///{home / 'desk.db'}"
        return cls(
            database_url=normalise_url(url),
            home=home,
            policy_dir=Path(os.environ.get("DESK_POLICY_DIR") or SHIPPED),
            user=os.environ.get("DESK_USER") or None,
            notify_url=os.environ.get("DESK_NOTIFY_URL") or None,
            notify_secret=os.environ.get("DESK_NOTIFY_SECRET") or None,
        )


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (SQLAlchemy would otherwise look for psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
