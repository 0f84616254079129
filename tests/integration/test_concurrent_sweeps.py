"""Two sweepers at once on PostgreSQL over the same due timers: each timer fires exactly once.

Real processes, not threads: each sweeper is its own Python process with its own connections,
as two Prefect workers would be.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desk.intake import Intake
from desk.store.tables import events, timers
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SWEEPER = """
import json, sys
from datetime import datetime
from desk.config import Settings
from desk.service import Desk
from pathlib import Path
desk = Desk.open(Settings(database_url=sys.argv[1], home=Path(sys.argv[2]), policy_dir=Path(sys.argv[3]), user=None),
                 now=datetime.fromisoformat(sys.argv[4]))
fired = desk.fire_due_timers(datetime.fromisoformat(sys.argv[4]), limit=100_000, batch=100)
print(json.dumps([[f.number, f.kind, f.stage, f.level] for f in fired]))
"""


def test_two_sweepers_share_5001_due_timers_without_firing_any_twice(postgres_url: str, tmp_path: Path) -> None:
    from policies.policy import SHIPPED

    desk = open_desk(postgres_url, tmp_path)
    base = at("2026-11-23 09:00")
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    rows = [Intake("property", "phone", f"k{i}", base, person) for i in range(1667)]
    desk.file_many(rows, actor="li-na", now=base)  # 3 triage timers each fall due within the hour: 5,001
    desk.engine.dispose()
    sweep_at = (base + timedelta(hours=1)).isoformat()
    command = [sys.executable, "-c", SWEEPER, postgres_url, str(tmp_path), str(SHIPPED), sweep_at]
    sweepers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in sweepers]
    assert all(p.returncode == 0 for p in sweepers), [err for _, err in outputs]
    fired = [tuple(item) for out, _ in outputs for item in json.loads(out)]
    shares = [len(json.loads(out)) for out, _ in outputs]
    print(f"sweeper shares: {shares}, total {len(fired)}")

    assert len(fired) == 5001 and len(set(fired)) == 5001  # every due timer once, none twice
    assert all(share > 0 for share in shares)  # both took part
    desk = open_desk(postgres_url, tmp_path)
    with desk.reading() as uow:
        fired_rows = uow.connection.execute(select(func.count()).select_from(timers)
                                            .where(timers.c.fired_at.is_not(None))).scalar_one()
        escalated = uow.connection.execute(select(func.count()).select_from(events)
                                           .where(events.c.name == "Escalated")).scalar_one()
    assert fired_rows == 5001 and escalated == 2 * 1667
    desk.engine.dispose()
