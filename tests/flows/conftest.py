"""One Prefect test harness for the whole session (it takes 10-13 s to start)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
from prefect.testing.utilities import prefect_test_harness


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
