"""One Prefect test harness for the whole session (it takes 10-13 s to start)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect.client.schemas.objects import State
from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from desk.lanes import LANES
from policies.org import SHIPPED_ORG
from policies.policy import SHIPPED


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    # Telemetry off, as `desk up` runs its server: its heartbeat writes to the server's SQLite
    # file at start-up, races the first flow run for the lock and logs a traceback that is
    # not ours (and it would phone home from a machine that must not).
    with temporary_settings({PREFECT_SERVER_ANALYTICS_ENABLED: False}), \
            prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def desk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A desk of its own for each test, on a SQLite file; flows find it through the environment."""
    monkeypatch.setenv("DESK_HOME", str(tmp_path))
    monkeypatch.setenv("DESK_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.delenv("DESK_NOTIFY_URL", raising=False)
    return tmp_path


@pytest.fixture
def round_the_clock(desk_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped policies with callbacks swept and notices sent at any time: the shipped ones hold
    them back outside Shanghai's business hours, and a test must not pass or fail with the time of day
    it runs at (the business-hours rule itself is tested with time passed in)."""
    folder = desk_env / "policies"
    folder.mkdir()
    for name in ("property.yaml", "enterprise.yaml"):
        text = (SHIPPED / name).read_text(encoding="utf-8")
        assert text.count("callbacks_in: business_hours") == 3
        # And notices at any time (quiet hours would hold a general one until the office opens).
        text = text.replace("callbacks_in: business_hours", "notices_in: any_time\n      callbacks_in: any_time")
        (folder / name).write_text(re.sub(r'version: "([^"]+)"', r'version: "\1-any-time"', text, count=1),
                                   encoding="utf-8")
    shutil.copyfile(SHIPPED_ORG, folder / "org.yaml")
    monkeypatch.setenv("DESK_POLICY_DIR", str(folder))
    return folder


def sweep_every_lane() -> list[State[Any]]:
    """One run of each sweep flow, urgent first, as the six deployments would run them."""
    from flows.sweep import escalations, revisit_callbacks

    return [flow(tier=lane.tier, return_state=True)
            for lane in LANES for flow in ([escalations] if lane.job == "escalations" else [revisit_callbacks])]
