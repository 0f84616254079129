"""A policy edited while complaints are open: they keep the deadlines of the version they were
classified under, until a manager explicitly re-applies the new version to them
(`desk policy apply --reclassify`), after a dry run that lists what would change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from desk.errors import NotPermitted
from desk.export import Export, rows
from desk.service import Desk
from desk.store.extract import Selection
from policies.policy import SHIPPED
from tests.integration.conftest import edited_policies, open_desk
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
T = at("2026-11-23 09:00")
ROOT = Path(__file__).resolve().parents[2]


def _edited_policies(tmp_path: Path) -> Path:
    return edited_policies(tmp_path / "policies", "2026.12-1")


def _pending(desk: Desk, number: str) -> dict[tuple[str, str, int], object]:
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
        return {(t.kind, t.stage, t.level): t.due_at for t in uow.timers.of(loaded.id)
                if t.fired_at is None and t.done_at is None}


def _version(desk: Desk, number: str) -> tuple[str | None, int, list[str]]:
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
        return loaded.complaint.policy_version, loaded.version, [e.name for e in loaded.complaint.events]


def test_open_complaints_move_to_a_new_version_only_when_a_manager_reapplies_it(database_url: str,
                                                                                tmp_path: Path) -> None:
    desk = open_desk(database_url, tmp_path)
    open_one = desk.file(actor="li-na", now=T, family="property", complainant=PERSON).number
    desk.classify(open_one, actor="li-na", now=T, type="cleaning_late")
    desk.assign(open_one, actor="li-na", now=T, handler="zhang-li")
    unclassified = desk.file(actor="li-na", now=T, family="property", complainant=PERSON).number
    desk.engine.dispose()

    desk = open_desk(database_url, tmp_path, policy_dir=_edited_policies(tmp_path))
    before = _pending(desk, open_one)
    assert before[("stage_deadline", "resolve", 0)] == at("2026-11-26 18:00")  # kept: the old version's
    assert desk.on_other_versions("property") == [(open_one, "2026.11-3")]

    with pytest.raises(NotPermitted, match=r"li-na may not reapply_policy .*allows general_manager"):
        desk.reapply_policy("property", actor="li-na", now=T, dry_run=False)
    state = _version(desk, open_one)
    assert state[0] == "2026.11-3" and _pending(desk, open_one) == before

    (planned,) = desk.reapply_policy("property", actor="ma-jing", now=T, dry_run=True)
    moved = {(c.kind, c.stage, c.level): (c.before, c.after) for c in planned.changes}
    print("\ndry run lists: " + "; ".join(f"{k}: {b} -> {a}" for k, (b, a) in moved.items()))
    assert moved[("stage_deadline", "resolve", 0)] == (at("2026-11-26 18:00"), at("2026-12-07 18:00"))
    assert ("escalation", "resolve", 2) in moved  # the ladder moves with its deadline
    assert _version(desk, open_one) == state and _pending(desk, open_one) == before  # a dry run saves nothing

    (applied,) = desk.reapply_policy("property", actor="ma-jing", now=T, dry_run=False)
    assert applied.changes == planned.changes  # what the dry run listed is what happened
    version, number, events = _version(desk, open_one)
    assert version == "2026.12-1" and number == state[1] + 1 and events[-1] == "PolicyReapplied"
    after = _pending(desk, open_one)
    assert after[("stage_deadline", "resolve", 0)] == at("2026-12-07 18:00")
    assert {k: v for k, v in after.items() if k in moved} == {k: a for k, (_, a) in moved.items() if a}
    assert _version(desk, unclassified)[0] is None  # unclassified: it follows the files anyway
    assert desk.reapply_policy("property", actor="ma-jing", now=T, dry_run=False) == []  # nothing left
    with desk.reading() as uow:
        refusals = uow.refusals.of(uow.complaints.get(open_one).id)
    assert [(r["trigger"], r["actor"], r["kind"]) for r in refusals] == [("reapply_policy", "li-na", "not_permitted")]
    desk.engine.dispose()


def test_desk_policy_apply_reports_then_dry_runs_then_moves(tmp_path: Path) -> None:
    env = {**os.environ, "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
           "DESK_POLICY_DIR": str(SHIPPED), "DESK_USER": "li-na", "COLUMNS": "200", "NO_COLOR": "1"}

    def desk(*args: str, **more: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "desk", *args], capture_output=True, text=True, cwd=ROOT,
                              env={**env, **more}, timeout=120, check=False)

    number = desk("file", "--family", "property", "--name", "王建国", "--phone", "13812345678",
                  "--description", "楼道没人打扫").stdout.split()[0]
    assert desk("classify", number, "--type", "cleaning_late").returncode == 0
    env["DESK_POLICY_DIR"] = str(_edited_policies(tmp_path))

    status = desk("policy", "apply", "--family", "property")
    print(f"\n$ desk policy apply\n{status.stdout}")
    assert status.returncode == 0, status.stderr
    assert "property policy 2026.12-1 in force" in status.stdout
    assert "1 open complaint(s) keep the deadlines of older versions (2026.11-3: 1)" in status.stdout

    refused = desk("policy", "apply", "--reclassify", "--family", "property")
    assert refused.returncode == 1 and "li-na may not reapply_policy" in refused.stderr
    assert "Traceback" not in refused.stderr
    lonely = desk("policy", "apply", "--dry-run")
    assert lonely.returncode == 2 and "--dry-run goes with --reclassify" in lonely.stderr

    dry = desk("policy", "apply", "--reclassify", "--dry-run", "--family", "property", "--as", "ma-jing")
    print(f"$ desk policy apply --reclassify --dry-run\n{dry.stdout}")
    assert dry.returncode == 0, dry.stderr
    assert f"{number}: 2026.11-3 → 2026.12-1" in dry.stdout
    assert "resolve deadline:" in dry.stdout and "dry run: nothing was saved" in dry.stdout
    assert "1 open complaint(s) keep" in desk("policy", "apply", "--family", "property").stdout  # unchanged

    done = desk("policy", "apply", "--reclassify", "--family", "property", "--as", "ma-jing")
    assert done.returncode == 0 and "property: 1 open complaint(s) moved to policy 2026.12-1" in done.stdout
    assert "every open classified complaint follows it" in desk("policy", "apply", "--family", "property").stdout
    shown = desk("show", number, "--json")
    assert '"policy_version": "2026.12-1"' in shown.stdout and "PolicyReapplied" in shown.stdout


def test_a_stage_met_before_the_reapply_keeps_the_deadline_it_was_held_to(database_url: str, tmp_path: Path) -> None:
    """Resolved a day late under 3 working days; the new version allows 10. Re-applying it moves
    what is still pending, but the record (`desk show`, `desk export`) still says the resolution
    missed the deadline it had at the time: history is not rewritten by a later policy."""
    desk = open_desk(database_url, tmp_path)
    number = desk.file(actor="li-na", now=T, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=T, type="cleaning_late")
    desk.assign(number, actor="li-na", now=T, handler="zhang-li")
    desk.record_findings(number, actor="zhang-li", now=at("2026-11-25 10:00"), findings="no cleaner on floors 3-9")
    desk.resolve(number, actor="zhang-li", now=at("2026-11-27 10:00"), resolution="repair", detail="rota fixed")
    desk.engine.dispose()

    desk = open_desk(database_url, tmp_path, policy_dir=_edited_policies(tmp_path))
    (applied,) = desk.reapply_policy("property", actor="ma-jing", now=at("2026-11-27 11:00"), dry_run=False)
    assert applied.number == number and _version(desk, number)[0] == "2026.12-1"

    exported = next(rows(desk, Export(Selection(family="property"), redact=False, now=at("2026-11-27 12:00"))))
    desk.engine.dispose()
    resolve = next(d for d in exported["deadlines"] if d["stage"] == "resolve")
    print(f"\nafter the reapply, export says of the resolve stage: {resolve}")
    assert resolve["due_at"] == at("2026-11-26 18:00").astimezone(UTC).isoformat()  # 3 working days, not 10
    assert resolve["verdict"] == "missed"

    env = {**os.environ, "DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": database_url,
           "DESK_POLICY_DIR": str(tmp_path / "policies"), "DESK_USER": "li-na"}
    shown = subprocess.run([sys.executable, "-m", "desk", "show", number, "--json"], capture_output=True, text=True,
                           cwd=ROOT, env=env, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    (held,) = [d for d in json.loads(shown.stdout)["deadlines"] if d["stage"] == "resolve"]
    assert datetime.fromisoformat(held["due_at"]) == at("2026-11-26 18:00") and held["verdict"] == "missed"
