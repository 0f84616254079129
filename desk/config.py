"""Where the desk keeps things, from the environment, with working defaults for one machine.

DESK_DATABASE_URL  any SQLAlchemy URL (postgresql://... uses psycopg 3); default: SQLite at .desk/desk.db
DESK_HOME          the folder for the default database and local state (default: .desk)
DESK_POLICY_DIR    where property.yaml, enterprise.yaml and org.yaml live (default: the shipped ones; while
                   `desk up --demo` runs on this DESK_HOME, the demo's: see demo_policies)
DESK_USER          who is acting, when a command is not given --as
DESK_NOTIFY_URL    a webhook (SMS or e-mail gateway) for the notices; default: notifications.log in DESK_HOME
DESK_NOTIFY_SECRET the secret every webhook request is signed with (HMAC-SHA256, headers X-Desk-*);
                   required when DESK_NOTIFY_URL is set: a webhook without it is refused
"""

from __future__ import annotations

import json
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
            policy_dir=Path(os.environ.get("DESK_POLICY_DIR") or demo_policies(home) or SHIPPED),
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


DEMO_MARK = "demo.json"  # in DESK_HOME while `desk up --demo` runs: its process and policy folder


def mark_demo(home: Path, policy_dir: Path) -> Path:
    """Says, for as long as this process lives, that commands on this DESK_HOME follow the
    demo's policies: `desk board` in another terminal then counts in the demo's minutes."""
    mark = home / DEMO_MARK
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text(json.dumps({"pid": os.getpid(), "policy_dir": str(policy_dir.resolve())}), encoding="utf-8")
    return mark


def demo_policies(home: Path) -> Path | None:
    """The running demo's policy folder, if a demo runs on this DESK_HOME. A mark left by a demo
    that was killed names a process that is gone, and is ignored."""
    try:
        found = json.loads((home / DEMO_MARK).read_text(encoding="utf-8"))
        pid, folder = found["pid"], found["policy_dir"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(pid, int) or not isinstance(folder, str):
        return None
    try:
        os.kill(pid, 0)  # signal 0: is it alive?
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, run by someone else
    return Path(folder)
