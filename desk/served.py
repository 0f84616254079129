"""The served processes of `desk up`: the deployments, one process per tier, and the HTTP API
(`desk serve`), watched and stopped together.

Each tier's deployments are served by a process of their own (`python -m deployments.serve
--tier T`), so a long general sweep never takes the place of an urgent run. Their output goes
to a log file per tier beside the Prefect server's. If one stops on its own, `desk up` stops
the rest and says which log to read: half a system running is worse than a clear stop that a
service manager restarts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from desk.errors import DeskError
from desk.lanes import TIERS

API = "api"


@dataclass
class ServedTiers:
    logs: Path
    api_port: int | None = None  # also serve the HTTP API on this port
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        commands = {tier: ["-m", "deployments.serve", "--tier", tier] for tier in TIERS}
        if self.api_port is not None:
            commands[API] = ["-m", "desk", "serve", "--port", str(self.api_port)]
        for name, arguments in commands.items():
            log = self.log_of(name).open("ab")
            self.processes[name] = subprocess.Popen(
                [sys.executable, *arguments], env=dict(os.environ),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # stopped in order, by us

    def log_of(self, name: str) -> Path:
        return self.logs / ("api.log" if name == API else f"served-{name}.log")

    def check(self) -> None:
        """Raises when a served process has exited on its own, naming its log."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                what = "the HTTP API" if name == API else f"the {name} tier's served deployments"
                raise DeskError(f"{what} stopped (exit code {process.returncode}); see {self.log_of(name)}")

    def watch(self, every_s: float = 1.0) -> None:
        """Returns never; raises as soon as a served process exits on its own."""
        while True:
            self.check()
            time.sleep(every_s)  # watching other processes: nothing to pass a clock to

    def stop(self) -> None:
        """SIGTERM first: Prefect's runner pauses its schedules and ends its runs cleanly."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
