"""The local Prefect server `desk up` starts (or reuses), with its database under DESK_HOME.

Operations watch flow runs, artifacts and events in its UI at http://127.0.0.1:4200.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from desk.errors import DeskError


@dataclass
class PrefectServer:
    home: Path
    host: str = "127.0.0.1"
    port: int = 4200
    process: subprocess.Popen[bytes] | None = None
    # Prefect's own database: SQLite under `home` by default; to scale out, PostgreSQL through
    # asyncpg (`postgresql+asyncpg://...`, PostgreSQL 14.9+ with the pg_trgm extension).
    database_url: str | None = None

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        """Settings for the server and for every client that should talk to it."""
        database = self.database_url or f"sqlite+aiosqlite:///{self.home / 'prefect.db'}"
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": database,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # the machine has no way out; do not try
            "PREFECT_SERVER_API_HOST": self.host,
            "PREFECT_SERVER_API_PORT": str(self.port),
        }

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def start(self, wait_s: float = 90.0) -> bool:
        """Starts the server unless one already answers; True when this call started it."""
        if self.healthy():
            return False
        self.home.mkdir(parents=True, exist_ok=True)
        log = (self.home / "server.log").open("ab")
        prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
        self.process = subprocess.Popen(
            [prefect, "server", "start", "--host", self.host, "--port", str(self.port)],
            env={**os.environ, **self.environment()}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches us; we stop it in order
        )
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DeskError(f"the Prefect server exited (code {self.process.returncode}); "
                                f"see {self.home / 'server.log'}")
            if self.healthy():
                return True
            time.sleep(0.5)  # waiting on another process to come up: nothing to pass a clock to
        self.stop()
        raise DeskError(f"the Prefect server did not answer within {wait_s:.0f} s; see {self.home / 'server.log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def __enter__(self) -> PrefectServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
