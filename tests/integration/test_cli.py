"""The `desk` command line as a manager drives it: a real process, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policies import json_schema
from policies.policy import SHIPPED

pytestmark = pytest.mark.integration

DESK = [sys.executable, "-m", "desk"]


def desk(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*DESK, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def test_help_lists_the_command_groups() -> None:
    result = desk("--help")
    assert result.returncode == 0
    for command in ("policy", "states", "walkthrough"):
        assert command in result.stdout


def test_policy_check_passes_the_shipped_policies() -> None:
    result = desk("policy", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "property policy 2026.11-3" in result.stdout and "enterprise policy 2026.11-3" in result.stdout
    assert "org.yaml: organisation directory 2026.11-2" in result.stdout


def test_policy_check_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    text = (SHIPPED / "enterprise.yaml").read_text(encoding="utf-8")
    text = text.replace("resolve: 4 working days", "resolve: four working days", 1)
    text = text.replace("until: assigned", "until: decided", 1)
    bad = tmp_path / "enterprise.yaml"
    bad.write_text(text, encoding="utf-8")
    result = desk("policy", "check", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert len(lines) == 2  # a bad duration and an unknown state, reported in one run

    def line_of(needle: str) -> int:
        return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)

    assert f"{bad}:{line_of('four working days')}: types.harassment.deadlines.resolve: 'four working days'" in (
        result.stdout
    )
    assert f"{bad}:{line_of('until: decided')}: stages.evidence.until[0]: 'decided' is not a state" in result.stdout


def test_policy_explain_gives_deadlines_as_json() -> None:
    result = desk("policy", "explain", "--type", "harassment", "--received-at", "2026-09-30T15:00+08:00", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {k: data[k] for k in ("type", "family", "tier", "policy_version", "received_at")} == {
        "type": "harassment", "family": "enterprise", "tier": "important", "policy_version": "2026.11-3",
        "received_at": "2026-09-30T15:00:00+08:00",
    }
    resolve = next(s for s in data["stages"] if s["stage"] == "resolve")
    assert resolve["due_at"] == "2026-10-12T18:30:00+08:00" and resolve["basis"] == "working"
    assert "make-up workday" in resolve["explanation"]
    assert [e["action"] for e in resolve["escalations"]] == ["reminder", "overdue_notice", "censure"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "nope", "--received-at", "2026-09-30T15:00"], "error: --type: unknown complaint type 'nope'"),
        (["--type", "harassment", "--received-at", "yesterday"], "error: --received-at: 'yesterday' is not"),
        (["--type", "service_attitude", "--received-at", "2026-09-30T15:00"], "exists in several families"),
        (["--type", "harassment", "--received-at", "2026-09-30T15:00", "--tier", "high"], "error: --tier"),
    ],
)
def test_policy_explain_refuses_bad_input_in_one_line(args: list[str], message: str) -> None:
    result = desk("policy", "explain", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_states_diagram_prints_mermaid_for_a_family() -> None:
    result = desk("states", "diagram", "--family", "enterprise")
    assert result.returncode == 0
    assert result.stdout.startswith("stateDiagram-v2")
    assert "assigned --> awaiting_evidence : request_evidence" in result.stdout


def test_the_committed_json_schema_matches_the_code() -> None:
    committed = json.loads((SHIPPED / "policy.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: desk policy schema -o policies/policy.schema.json"


def test_walkthrough_replays_the_seed_cases() -> None:
    result = desk("walkthrough")
    assert result.returncode == 0, result.stderr
    for number in ("TS-2026-000101", "TS-2026-000104", "TS-2026-000106"):
        assert number in result.stdout
    assert "Reopened" in result.stdout and "late" in result.stdout
