"""A manager's what-if replay asked in the console runs as the `policy-whatif` flow on a real
local Prefect server, served as `desk up` serves it; the page follows its progress to the result,
and Prefect is handed the replay's number, never the draft or anyone's details."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from desk.config import Settings
from desk.prefect_server import PrefectServer
from desk.service import Desk
from tests.api.server import start_api
from tests.console.browser import Shots, browser  # noqa: F401 (fixture)
from tests.flows.test_sweep_flow import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _served(api: str) -> bool:
    return httpx.get(f"{api}/deployments/name/policy-whatif/on-request", timeout=5).status_code == 200


def test_a_replay_asked_in_the_console_runs_as_a_prefect_flow(desk_env: Path, browser: Any,  # noqa: F811
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    desk = Desk.open(Settings.from_env())
    received = datetime.now(UTC) - timedelta(days=2)
    for n in range(3):
        number = desk.file(actor="li-na", now=received + timedelta(minutes=n), received_at=received,
                           family="property", complainant={"name": "欧阳测试员", "phone": "13987654321",
                                                           "description": "楼道未打扫"}).number
        desk.classify(number, actor="li-na", now=received + timedelta(minutes=10 + n), type="cleaning_late")
    desk.engine.dispose()

    shots = Shots("whatif-flow")
    with PrefectServer(home=desk_env / "prefect", port=_free_port()) as server:
        env = {**os.environ, **server.environment(), "DESK_HOME": str(desk_env),
               "DESK_DATABASE_URL": f"sqlite:///{desk_env / 'desk.db'}"}
        served = subprocess.Popen([sys.executable, "-m", "deployments.serve", "--tier", "general"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            eventually(lambda: _served(server.api_url), until=bool, within=120,
                       what="the general tier's process to serve policy-whatif/on-request")
            monkeypatch.setenv("PREFECT_UI_URL", server.ui_url)
            with start_api(f"sqlite:///{desk_env / 'desk.db'}", desk_env, callers=("ma-jing",),
                           prefect_api=server.api_url) as console:
                context = browser.new_context(locale="en-US", base_url=console.url)
                page = context.new_page()
                page.goto("/sign-in")
                page.fill("#token", console.tokens["ma-jing"])
                page.click("button[type=submit]")
                page.goto("/policies/property/draft")
                draft = page.locator("#draft-text").input_value()
                page.locator("#draft-text").fill(draft.replace("resolve: 3 working days", "resolve: 1 hour"))
                page.click("#run-whatif")
                page.wait_for_url("**/policies/property/replays/*")
                replay = int(page.url.rsplit("/", 1)[1])
                shots.take(page, "asked")
                expect(page.locator("#replay-status")).to_have_text("done", timeout=180_000)
                expect(page.locator("#whatif-totals")).to_be_visible()
                assert int(page.locator("#whatif h2").inner_text().split(":")[1].split()[0]) == 3
                expect(page.locator("#whatif-changed")).to_contain_text(number)  # 1 hour: now breached
                shots.take(page, "done")
                run_id = page.locator("#replay-run").get_attribute("href").rsplit("/", 1)[1]  # type: ignore[union-attr]
                context.close()
            run = httpx.get(f"{server.api_url}/flow_runs/{run_id}", timeout=10).json()
            assert run["parameters"] == {"replay": replay}  # the number only: the draft stays in the desk
            assert run["state_type"] == "COMPLETED" and run["name"].startswith(f"whatif #{replay} ")
        finally:
            served.terminate()
            served.wait(timeout=30)
