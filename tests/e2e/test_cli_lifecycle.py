"""The `desk` command line driven as people drive it: real processes, a real database file.

An agent files a complaint, handlers move it through every state to closed (with one
unsatisfied revisit and a reopen), and `desk show` prints the whole timeline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from desk.store.tables import complaints

pytestmark = pytest.mark.integration


class Desk:
    def __init__(self, home: Path, extra_env: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, "DESK_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1", **(extra_env or {})}
        self.env.pop("DESK_USER", None)
        self.env.pop("DESK_DATABASE_URL", None)

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "desk", *args], capture_output=True, text=True,
                                env=self.env, timeout=120, check=False)
        assert "Traceback" not in result.stderr, result.stderr
        if ok:
            assert result.returncode == 0, f"desk {' '.join(args)}\n{result.stdout}\n{result.stderr}"
        return result


def test_a_complaint_filed_and_walked_to_closed_from_the_command_line(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    filed = desk("file", "--family", "property", "--name", "王建国", "--phone", "13812345678",
                 "--description", "3号楼楼道三周没人打扫", "--request", "每天打扫", "--channel", "counter",
                 "--as", "li-na")
    number = filed.stdout.split()[0]
    assert number == "TS-2026-000001" or number.startswith("TS-")
    steps = [
        ("classify", number, "--type", "cleaning_late", "--as", "li-na"),
        ("assign", number, "--handler", "zhang-li", "--as", "li-na"),
        ("findings", number, "--text", "stairwell 3 skipped by the rota", "--as", "zhang-li"),
        ("resolve", number, "--resolution", "repair", "--detail", "stairwell swept", "--as", "zhang-li"),
        ("feed-back", number, "--channel", "sms", "--as", "li-na"),
        ("revisit", number, "--outcome", "unsatisfied", "--note", "floors 12-18 still dirty", "--as", "li-na"),
        ("reopen", number, "--reason", "upper floors not cleaned", "--as", "li-na"),
        ("hand-off", number, "--to", "he-ping", "--reason", "the rota needs the head of cleaning", "--as", "zhang-li"),
        ("findings", number, "--text", "rota skipped 12-18", "--as", "he-ping"),
        ("resolve", number, "--resolution", "repair", "--detail", "all floors daily", "--as", "he-ping"),
        ("feed-back", number, "--channel", "phone", "--as", "li-na"),
        ("revisit", number, "--outcome", "satisfied", "--as", "li-na"),
        ("close", number, "--as", "li-na"),
    ]
    for step in steps:
        desk(*step)

    shown = desk("show", number).stdout
    for name in ("Received", "Classified", "Assigned", "FindingsRecorded", "Resolved", "FedBack", "Revisited",
                 "Reopened", "HandedOff", "Closed"):
        assert name in shown, name
    assert "closed" in shown and "first responder li-na" in shown and "round 2" in shown
    assert "王**" in shown and "138****5678" in shown and "王建国" not in shown  # masked unless --reveal
    data = json.loads(desk("show", number, "--json").stdout)
    assert data["status"] == "closed" and data["reopen_count"] == 1 and len(data["events"]) == 14
    assert [d["stage"] for d in data["deadlines"] if d["round"] == 2] == ["resolve", "feed_back"]
    assert all(d["verdict"] == "met" for d in data["deadlines"])
    assert "13812345678" in desk("show", number, "--reveal", "--as", "li-na").stdout

    listed = json.loads(desk("list", "--json").stdout)
    assert listed[0]["complainant"] == "王** 138****5678" and listed[0]["status"] == "closed"
    board = json.loads(desk("board", "--json").stdout)
    assert board["total"] == 1 and board["open"] == 0


def test_refusals_are_one_line_with_a_non_zero_exit(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    number = desk("file", "--family", "enterprise", "--name", "Li", "--email", "li@example.com",
                  "--description", "late parcel", "--as", "xiao-yu").stdout.split()[0]
    cases = [
        (("close", number, "--as", "xiao-yu"), f"error: {number} is 'received': 'close' is not allowed there"),
        (("classify", number, "--type", "nope", "--as", "xiao-yu"), "error: type: 'nope' is not a enterprise"),
        (("classify", number, "--type", "enquiry"), "error: who is acting? give --as ID or set DESK_USER"),
        (("classify", number, "--type", "enquiry", "--tier", "high", "--as", "xiao-yu"), "error: tier: 'high' is not"),
        (("classify", number, "--type", "enquiry", "--as", "ghost"), "error: unknown person 'ghost'"),
        (("show", "TS-2026-999999"), "error: no complaint TS-2026-999999"),
        (("file", "--family", "estate", "--name", "x", "--phone", "1", "--description", "d", "--as", "li-na"),
         "error: family: 'estate' is not a family"),
    ]
    for args, message in cases:
        result = desk(*args, ok=False)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


def test_bulk_import_reports_every_bad_row_and_files_nothing(tmp_path: Path) -> None:
    desk = Desk(tmp_path)
    rows = tmp_path / "import.json"
    rows.write_text(json.dumps([
        {"family": "property", "name": "王一", "phone": "13800000001", "description": "漏水", "key": "a1"},
        {"family": "property", "name": "王二", "description": "漏水", "key": "a2"},
        {"family": "property", "name": "王三", "phone": "13800000003", "description": "x" * 20_000, "key": "a3"},
        {"family": "property", "name": "王四\x07", "phone": "13800000004", "description": "漏水", "key": "a4"},
    ], ensure_ascii=False), encoding="utf-8")
    result = desk("file", "--from", str(rows), "--as", "li-na", ok=False)
    assert result.returncode == 1
    assert "row 2: give at least one way to reach the complainant" in result.stderr
    assert "row 3: description: longer than 10000 characters" in result.stderr
    assert "row 4: name: contains control characters" in result.stderr
    db = tmp_path / "desk.db"
    if db.exists():
        with create_engine(f"sqlite:///{db}").connect() as connection:
            assert connection.execute(select(func.count()).select_from(complaints)).scalar_one() == 0
    good = tmp_path / "good.csv"
    good.write_text("family,name,phone,description,key\n" + "".join(
        f"property,业主{i},1380000{i:04d},漏水,b{i}\n" for i in range(50)), encoding="utf-8")
    assert "50 filed, 0 already filed" in desk("file", "--from", str(good), "--as", "li-na").stdout
    assert "0 filed, 50 already filed" in desk("file", "--from", str(good), "--as", "li-na").stdout


def test_a_broken_policy_file_is_reported_with_lines_and_changes_nothing(tmp_path: Path) -> None:
    from policies.policy import SHIPPED

    desk = Desk(tmp_path)
    number = desk("file", "--family", "property", "--name", "王", "--phone", "13800000000",
                  "--description", "漏水", "--as", "li-na").stdout.split()[0]
    policies = tmp_path / "policies"
    policies.mkdir()
    for name in ("property.yaml", "enterprise.yaml", "org.yaml"):
        (policies / name).write_text((SHIPPED / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (policies / "property.yaml").read_text(encoding="utf-8")
    (policies / "property.yaml").write_text(
        text.replace("resolve: 13 working days", "resolve: 13 workdays").replace("until: resolved}", "until: done}"),
        encoding="utf-8")
    broken = Desk(tmp_path, {"DESK_POLICY_DIR": str(policies)})
    result = broken("classify", number, "--type", "service_attitude", "--as", "li-na", ok=False)
    assert result.returncode == 1
    assert "tiers.important.deadlines.resolve: '13 workdays'" in result.stderr
    assert "stages.resolve.until[0]: 'done' is not a state" in result.stderr
    assert f"{policies / 'property.yaml'}:" in result.stderr
    shown = json.loads(desk("show", number, "--json").stdout)
    assert shown["status"] == "received" and shown["version"] == 1


def test_a_sweep_by_hand_of_one_tier_fires_only_that_tiers_timers(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    desk = Desk(tmp_path)
    number = desk("file", "--family", "property", "--name", "王建国", "--phone", "13812345678",
                  "--description", "电梯异响", "--as", "li-na").stdout.split()[0]
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    general = desk("sweep", "--tier", "general", "--at", later)
    assert general.stdout.strip().splitlines()[-1].startswith("0 timer(s) fired")  # untriaged: urgent's
    urgent = desk("sweep", "--tier", "urgent", "--at", later)
    assert f"{number} triage level 2: overdue_notice" in urgent.stdout and "3 timer(s) fired" in urgent.stdout
    wrong = desk("sweep", "--tier", "soon", ok=False)
    assert wrong.returncode == 2 and wrong.stderr.strip() == (
        "error: --tier: 'soon' is not a tier (urgent, important, general)")
