"""Sweepers at once on PostgreSQL over the same due timers of mixed tiers, two on one tier's lanes
and others on another's or on every lane: each timer fires exactly once.

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
from desk.lanes import LANES
from desk.service import Desk
from pathlib import Path
desk = Desk.open(Settings(database_url=sys.argv[1], home=Path(sys.argv[2]), policy_dir=Path(sys.argv[3]), user=None),
                 now=datetime.fromisoformat(sys.argv[4]))
lanes = [lane for lane in LANES if sys.argv[5] == "all" or lane.tier == sys.argv[5]]
fired = desk.fire_due_timers(datetime.fromisoformat(sys.argv[4]), limit=100_000, batch=100, lanes=lanes)
print(json.dumps([[f.number, f.kind, f.stage, f.level] for f in fired]))
"""


def test_sweepers_of_mixed_tiers_share_6201_due_timers_without_firing_any_twice(postgres_url: str,
                                                                                tmp_path: Path) -> None:
    from policies.policy import SHIPPED

    desk = open_desk(postgres_url, tmp_path)
    base = at("2026-11-23 09:00")
    person = {"name": "x", "phone": "1", "email": None, "address": None, "description": "d", "request": None}
    rows = [Intake("property", "phone", f"k{i}", base, person) for i in range(1667)]
    desk.file_many(rows, actor="li-na", now=base)  # 3 triage timers each fall due within the hour: 5,001
    earlier = base - timedelta(days=10)  # and 400 general complaints whose resolve deadline and 2 rungs are due
    for filed in desk.file_many([Intake("property", "phone", f"g{i}", earlier, person) for i in range(400)],
                                actor="li-na", now=earlier):
        desk.classify(filed.number, actor="li-na", now=base, type="cleaning_late")
    desk.engine.dispose()
    sweep_at = (base + timedelta(hours=1)).isoformat()
    # Two on the urgent tier's lanes, one on the general tier's, one on every lane: all at once.
    chosen = ["urgent", "urgent", "general", "all"]
    sweepers = [subprocess.Popen([sys.executable, "-c", SWEEPER, postgres_url, str(tmp_path), str(SHIPPED), sweep_at,
                                  lanes], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for lanes in chosen]
    outputs = [p.communicate(timeout=600) for p in sweepers]
    assert all(p.returncode == 0 for p in sweepers), [err for _, err in outputs]
    fired = [tuple(item) for out, _ in outputs for item in json.loads(out)]
    shares = {f"{lanes} #{i}": len(json.loads(out))
              for i, (lanes, (out, _)) in enumerate(zip(chosen, outputs, strict=True))}
    print(f"sweeper shares: {shares}, total {len(fired)}")

    assert len(fired) == 6201 and len(set(fired)) == 6201  # every due timer once, none twice
    assert shares["urgent #0"] + shares["urgent #1"] > 0 and shares["general #2"] > 0
    numbers: dict[str, set[str]] = {lanes: set() for lanes in chosen}
    for lanes, (out, _) in zip(chosen, outputs, strict=True):
        numbers[lanes] |= {item[0] for item in json.loads(out)}
    assert not numbers["general"] & numbers["urgent"]  # a tier's sweepers fire only their own tier's
    desk = open_desk(postgres_url, tmp_path)
    with desk.reading() as uow:
        fired_rows = uow.connection.execute(select(func.count()).select_from(timers)
                                            .where(timers.c.fired_at.is_not(None))).scalar_one()
        escalated = uow.connection.execute(select(func.count()).select_from(events)
                                           .where(events.c.name == "Escalated")).scalar_one()
    assert fired_rows == 6201 and escalated == 2 * (1667 + 400)
    desk.engine.dispose()
