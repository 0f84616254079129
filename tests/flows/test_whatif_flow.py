"""The `policy-whatif` flow on the session's Prefect harness: it replays, shows its progress as a
progress artifact, and publishes a report that carries complaint numbers and counts, never the
complainants (保密原则)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from desk.config import Settings
from desk.service import Desk
from flows.whatif import policy_whatif
from tests.integration.test_whatif import PERSON, SHORTER, UNTIL, _draft, _walk

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_harness")]


def test_the_flow_reports_progress_and_numbers_only(desk_env: Path, tmp_path: Path) -> None:
    desk = Desk.open(Settings.from_env(), now=UNTIL - timedelta(days=9))
    late = _walk(desk, timedelta(days=2, hours=6))
    _walk(desk, timedelta(hours=3))
    desk.engine.dispose()
    draft = _draft(tmp_path, SHORTER)

    state = policy_whatif(draft=str(draft), days=30, until=UNTIL, return_state=True)
    assert state.is_completed(), state.message
    assert state.result() == {"replayed": 2, "breaches_before": 2, "breaches_after": 3, "changed": 1}
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    by_type = {a.type: a for a in artifacts}
    assert by_type.keys() == {"progress", "markdown", "table"}
    assert float(str(by_type["progress"].data)) == 100.0
    report = str(by_type["markdown"].data)
    assert f"**Outcome changes (1)**: {late}" in report and "| general | resolve | 0 | 1 |" in report
    published = "".join(a.model_dump_json() for a in artifacts)
    for secret in (PERSON["name"], PERSON["phone"], PERSON["description"]):
        assert secret not in published and json.dumps(secret)[1:-1] not in published


def test_a_draft_with_a_mistake_fails_the_run_with_its_line(desk_env: Path, tmp_path: Path) -> None:
    Desk.open(Settings.from_env(), now=UNTIL).engine.dispose()
    bad = _draft(tmp_path, ("resolve: 3 working days ", "resolve: 3 wrking days  "))
    state = policy_whatif(draft=str(bad), until=UNTIL, return_state=True)
    assert state.is_failed() and f"{bad}:" in str(state.message) and "tiers.general.deadlines.resolve" in str(
        state.message)
