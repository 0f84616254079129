"""Urgent first on SQLite: while an urgent sweep's batch holds the gate, a transaction another
process is about to begin waits for it, instead of racing it for SQLite's one write lock (which
a backlog sweeper wins again and again: benchmarks/tiers.py measured an urgent sweep held up
13.4 s behind a 100,000-timer drain without the gate)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.store.engine import first_in_line
from desk.store.tables import complaints
from tests.flows.test_sweep_flow import eventually
from tests.integration.conftest import OPENED, open_desk

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}

FILER = """
import sys
from datetime import datetime
from pathlib import Path
from desk.config import Settings
from desk.service import Desk
from policies.policy import SHIPPED
now = datetime.fromisoformat(sys.argv[3])
desk = Desk.open(Settings(database_url=sys.argv[1], home=Path(sys.argv[2]), policy_dir=SHIPPED, user=None), now=now)
print("ready", flush=True)
sys.stdin.readline()
person = {"name": "x", "phone": "1", "description": "d"}
print(desk.file(actor="li-na", now=now, family="property", complainant=person).number, flush=True)
"""


def _waiting_on(path: Path) -> int:
    """Processes blocked waiting for a flock on this file (Linux: /proc/locks marks them '->')."""
    inode = os.stat(path).st_ino
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "->" in line and "FLOCK" in line and any(f.endswith(f":{inode}") for f in line.split()))


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads who waits from Linux's /proc/locks")
def test_a_transaction_about_to_begin_waits_for_an_urgent_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk = open_desk(url, tmp_path)
    other = subprocess.Popen([sys.executable, "-c", FILER, url, str(tmp_path), OPENED.isoformat()], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert other.stdin is not None and other.stdout is not None
    try:
        assert other.stdout.readline().strip() == "ready"
        with first_in_line(desk.engine):
            other.stdin.write("go\n")
            other.stdin.flush()
            eventually(lambda: _waiting_on(tmp_path / "desk.db.priority"), until=lambda n: n == 1, within=60,
                       what="the other process to wait at the gate")
            # Inside the gate, this process's own transactions go on: it does not wait for itself.
            first = desk.file(actor="li-na", now=OPENED, family="property", complainant=PERSON).number
            with desk.reading() as uow:
                filed = uow.connection.execute(select(func.count()).select_from(complaints)).scalar_one()
            assert filed == 1  # the other is still waiting, though SQLite's write lock was free between
        second, errors = other.communicate(timeout=60)
    finally:
        if other.poll() is None:
            other.kill()
    desk.engine.dispose()
    assert other.returncode == 0, errors
    assert (first, second.strip()) == ("TS-2026-000001", "TS-2026-000002")  # in the order of the line
