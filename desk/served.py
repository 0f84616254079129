"""The served deployments of `desk up`: one process per tier, watched and stopped together.

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


@dataclass
class ServedTiers:
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for tier in TIERS:
            log = self.log_of(tier).open("ab")
            self.processes[tier] = subprocess.Popen(
                [sys.executable, "-m", "deployments.serve", "--tier", tier], env=dict(os.environ),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # stopped in order, by us

    def log_of(self, tier: str) -> Path:
        return self.logs / f"served-{tier}.log"

    def check(self) -> None:
        """Raises when a served process has exited on its own, naming its log."""
        for tier, process in self.processes.items():
            if process.poll() is not None:
                raise DeskError(f"the {tier} tier's served deployments stopped (exit code "
                                f"{process.returncode}); see {self.log_of(tier)}")

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
