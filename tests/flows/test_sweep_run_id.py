"""A sweep run keeps its Prefect flow run id on every timer it fires, and the operations page
links each escalation it fired to that run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk import operations
from desk.config import Settings
from desk.service import Desk
from flows.sweep import escalations

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def test_the_operations_page_links_what_a_sweep_fired_to_its_run(desk_env: Path) -> None:
    desk = Desk.open(Settings.from_env())
    received = datetime.now(UTC) - timedelta(hours=2)  # untriaged for two hours: its triage ladder is due
    number = desk.file(actor="li-na", now=received, received_at=received, family="property",
                       complainant={"name": "欧阳测试员", "phone": "13987654321", "description": "漏水"}).number
    state = escalations(tier="urgent", return_state=True)
    run_id = str(state.state_details.flow_run_id)
    today = operations.fired_today(desk, datetime.now(UTC), "http://127.0.0.1:4200")
    desk.engine.dispose()
    mine = [(r.kind, r.level, r.run_id, r.run_url) for r in today.rows if r.number == number]
    link = f"http://127.0.0.1:4200/runs/flow-run/{run_id}"
    assert sorted(mine) == [("escalation", 1, run_id, link), ("escalation", 2, run_id, link),
                            ("stage_deadline", 0, run_id, link)]
