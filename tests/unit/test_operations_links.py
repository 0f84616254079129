"""Links from a fired escalation to the Prefect flow run that fired it: built from the
environment the desk runs in, and only from what is a run id."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from desk import operations
from tests.support import at

RUN_1 = "0b5c3e8a-1d2f-4a6b-9c7d-2e4f6a8b0c1d"


@pytest.mark.parametrize(("env", "base"), [
    ({"PREFECT_UI_URL": "https://ops.example/prefect/"}, "https://ops.example/prefect"),
    ({"PREFECT_API_URL": "http://10.0.0.5:4200/api/"}, "http://10.0.0.5:4200"),
    ({}, "http://127.0.0.1:4200"),
])
def test_the_prefect_ui_is_found_from_the_environment(env: dict[str, str], base: str) -> None:
    assert operations.prefect_ui_base(env) == base


def test_only_a_run_id_becomes_a_link() -> None:
    assert operations.flow_run_link("http://x:4200/", RUN_1) == f"http://x:4200/runs/flow-run/{RUN_1}"
    assert operations.flow_run_link("http://x:4200", None) is None
    assert operations.flow_run_link("http://x:4200", '"><script>alert(1)</script>') is None


def test_today_starts_at_midnight_in_the_zone() -> None:
    utc_evening = datetime.fromisoformat("2026-11-22T17:00:00+00:00")  # 01:00 on the 23rd in Shanghai
    assert operations.start_of_day(utc_evening, ZoneInfo("Asia/Shanghai")) == at("2026-11-23 00:00")
