"""An operator opens the escalations the sweeps fired today and follows one to the Prefect run
that fired it: a real local Prefect server (as `desk up` starts it, UI included), a real sweep
run against it, a real `desk serve`, a real browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from desk.config import Settings
from desk.prefect_server import PrefectServer
from desk.service import Desk
from tests.api.server import start_api
from tests.console.browser import Shots, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SWEEP_URGENT = ("from flows.sweep import escalations; "
                "print(escalations(tier='urgent', return_state=True).state_details.flow_run_id)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_operator_follows_a_fired_escalation_to_its_prefect_run(desk_env: Path, browser: Any,  # noqa: F811
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk.open(Settings.from_env())
    received = datetime.now(UTC) - timedelta(hours=2)  # untriaged for two hours: its ladder is due
    number = desk.file(actor="li-na", now=received, received_at=received, family="property",
                       complainant={"name": "欧阳测试员", "phone": "13987654321", "description": "漏水"}).number
    fresh = datetime.now(UTC)  # just received: its triage ladder is scheduled within the hour, not fired
    desk.file(actor="li-na", now=fresh, received_at=fresh, family="property",
              complainant={"name": "测试", "phone": "13900000000", "description": "电梯异响"})
    desk.engine.dispose()

    shots = Shots("operator-journey")
    with PrefectServer(home=desk_env / "prefect", port=_free_port()) as server:
        # The sweep runs in a process of its own, as a served deployment's would: run here, it would
        # leave this process's Prefect event and log workers bound to a server this test stops, and
        # the next test to drain them would wait for that server for ever.
        swept = subprocess.run([sys.executable, "-c", SWEEP_URGENT], env={**os.environ, **server.environment()},
                               capture_output=True, text=True, timeout=180, check=True)
        run_id = swept.stdout.strip().splitlines()[-1]
        monkeypatch.setenv("PREFECT_UI_URL", server.ui_url)  # what `desk up` gives the API it serves
        with start_api(f"sqlite:///{desk_env / 'desk.db'}", desk_env, callers=("qian-bo",)) as console:
            context = browser.new_context(locale="en-US", base_url=console.url, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto("/sign-in")
            page.fill("#token", console.tokens["qian-bo"])  # a duty manager: org.yaml permissions.operate
            page.click("button[type=submit]")
            page.click("#nav-operations")
            expect(page.locator("#scheduled tr", has_text="stage_deadline").first).to_contain_text("urgent")
            row = page.locator("#fired tr", has_text=number).first
            expect(row).to_contain_text("breached")
            shots.take(page, "operations")
            link = row.locator("a.run-link")
            assert link.get_attribute("data-run") == run_id
            link.click()
            page.wait_for_url(f"{server.ui_url}/runs/flow-run/{run_id}")
            # Prefect's UI shows that run: the sweep renamed it to say what it did.
            expect(page.get_by_text("escalated").first).to_be_visible(timeout=60_000)
            shots.take(page, "prefect-run")
            context.close()
