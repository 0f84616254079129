"""A manager asks "what would this draft policy have done to last month's complaints?" before
publishing it: `desk policy whatif DRAFT` and the use-case behind it, on SQLite and PostgreSQL,
with the complaints' real event times and fixed clocks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import and_, func, select
from typer.testing import CliRunner

from desk.cli import app
from desk.service import Desk
from desk.store.tables import timers
from desk.whatif import what_if
from policies import PolicyError, shipped_policy
from policies.policy import SHIPPED
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "欧阳试算", "phone": "13955556666", "description": "楼道三周没人打扫"}
T = at("2026-11-23 09:00")  # a Monday
UNTIL = at("2026-12-01 09:00")
SHORTER = ("resolve: 3 working days      # 12345", "resolve: 1 working day       # 12345")


def _walk(desk: Desk, resolved_after: timedelta, type: str = "cleaning_late") -> str:
    """Filed Monday 09:00, classified and assigned at once, resolved `resolved_after` later."""
    number = desk.file(actor="li-na", now=T, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=T + timedelta(minutes=10), type=type)
    desk.assign(number, actor="li-na", now=T + timedelta(minutes=20), handler="zhang-li")
    desk.record_findings(number, actor="zhang-li", now=T + timedelta(hours=2), findings="stairwell skipped")
    desk.resolve(number, actor="zhang-li", now=T + resolved_after, resolution="repair", detail="swept")
    return number


def _draft(tmp_path: Path, *edits: tuple[str, str], name: str = "draft.yaml") -> Path:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text.replace('version: "2026.11-3"', 'version: "2026.12-draft"'), encoding="utf-8")
    return path


def test_a_shorter_deadline_turns_a_deadline_that_was_met_into_a_breach(desk: Desk, tmp_path: Path) -> None:
    late = _walk(desk, timedelta(days=2, hours=6))  # Wednesday 15:00: within 3 working days, not within 1
    early = _walk(desk, timedelta(hours=3))  # Monday noon: within both
    result = what_if(desk, _draft(tmp_path, SHORTER), 30, now=UNTIL)

    assert (result.family, result.draft_version, result.days, result.replayed) == ("property", "2026.12-draft", 30, 2)
    assert result.compared_with == "recorded" and result.compared_versions == ["2026.11-3"]
    assert result.changed == [late] and result.now_breaching == [late] and result.no_longer_breaching == []
    assert early not in result.changed
    resolve = next(r for r in result.stages if (r.tier, r.stage) == ("general", "resolve"))
    assert (resolve.deadlines_before, resolve.deadlines_after) == (2, 2)
    assert (resolve.breaches_before, resolve.breaches_after) == (0, 1)
    assert resolve.mean_margin_after_s is not None and resolve.mean_margin_before_s is not None
    assert resolve.mean_margin_after_s < resolve.mean_margin_before_s
    assert result.after.breaches == result.before.breaches + 1
    # The late one now gets the resolve reminder (level 1) and the overdue notice (level 2); it was
    # resolved before the censure (level 3, 5 working days on) would have come.
    levels = {r.level: (r.before, r.after) for r in result.levels}
    assert levels[1][1] - levels[1][0] == 1 and levels[2][1] - levels[2][0] == 1
    notices = {n.action: n.after - n.before for n in result.notices}
    assert notices["reminder"] == 1 and notices["overdue_notice"] == 3  # handler, first responder, department head
    assert result.after.notices - result.before.notices == 4


def test_the_policy_in_force_as_a_draft_changes_nothing_and_agrees_with_the_sweep(desk: Desk) -> None:
    _walk(desk, timedelta(days=2, hours=6))
    _walk(desk, timedelta(hours=3))
    desk.file(actor="li-na", now=T, family="property", complainant=PERSON)  # nobody triages it: it escalates
    fired = desk.fire_due_timers(UNTIL)
    result = what_if(desk, shipped_policy("property"), 30, now=UNTIL, compared_with="in_force")

    assert result.compared_with == "in_force" and result.replayed == 3
    assert result.changed == [] and result.before == result.after
    with desk.reading() as uow:
        escalated = uow.connection.execute(select(func.count()).select_from(timers).where(and_(
            timers.c.kind == "escalation", timers.c.fired_at.is_not(None)))).scalar_one()
    # The replay's ideal sweep fires what the desk's real sweep fired: the same planner, the same ladders.
    assert result.before.escalations == escalated == sum(f.kind == "escalation" for f in fired) > 0


def test_a_type_moved_to_another_tier_and_a_type_dropped_are_shown(desk: Desk, tmp_path: Path) -> None:
    moved = _walk(desk, timedelta(hours=3))
    dropped = _walk(desk, timedelta(hours=3), type="greening_neglected")
    cleaning = "  cleaning_late:\n    name: {zh: 清洁不及时, en: Cleaning not done in time}  # seed 001\n    tier: "
    draft = _draft(tmp_path, (cleaning + "general", cleaning + "important"),
                   ("  greening_neglected:\n    name: {zh: 绿化维护不到位, en: Greening neglected}     # seed 001\n"
                    "    tier: general\n    route_to: environment\n", ""))
    result = what_if(desk, draft, 30, now=UNTIL)

    assert result.replayed == 1 and result.skipped == [dropped] and result.skipped_types == ["greening_neglected"]
    tiers = {(r.tier, r.stage): (r.deadlines_before, r.deadlines_after) for r in result.stages}
    assert tiers[("general", "resolve")] == (1, 0) and tiers[("important", "resolve")] == (0, 1)
    assert moved not in result.now_breaching


def test_a_window_holds_only_the_days_asked_for(desk: Desk, tmp_path: Path) -> None:
    _walk(desk, timedelta(days=2, hours=6))
    assert what_if(desk, _draft(tmp_path, SHORTER), 7, now=UNTIL).replayed == 0  # received 8 days before
    assert what_if(desk, _draft(tmp_path, SHORTER), 8, now=UNTIL).replayed == 1


def test_a_draft_with_a_mistake_is_reported_at_its_line(desk: Desk, tmp_path: Path) -> None:
    draft = _draft(tmp_path, ("resolve: 3 working days ", "resolve: 3 wrking days  "))
    line = next(i for i, text in enumerate(draft.read_text(encoding="utf-8").splitlines(), 1) if "wrking" in text)
    with pytest.raises(PolicyError) as raised:
        what_if(desk, draft, 30, now=UNTIL)
    assert f"{draft}:{line}: tiers.general.deadlines.resolve: '3 wrking days' is not a duration" in str(raised.value)


def _cli(database_url: str, tmp_path: Path, *args: str, code: int = 0) -> str:
    env = {"DESK_HOME": str(tmp_path), "DESK_DATABASE_URL": database_url, "DESK_POLICY_DIR": str(SHIPPED),
           "COLUMNS": "200", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["policy", "whatif", *args], env=env)
    assert result.exit_code == code, result.output
    assert PERSON["name"] not in result.output and PERSON["phone"] not in result.output
    return result.stdout if code == 0 else result.stderr


def test_the_command_prints_before_and_after_and_the_numbers_that_change(desk: Desk, database_url: str,
                                                                         tmp_path: Path) -> None:
    late = _walk(desk, timedelta(days=2, hours=6))
    _walk(desk, timedelta(hours=3))
    draft = str(_draft(tmp_path, SHORTER))
    until = UNTIL.isoformat()

    printed = _cli(database_url, tmp_path, draft, "--days", "30", "--until", until)
    for title in ("Before and after", "Breaches by tier and stage", "Escalations by level", "Notices that would"):
        assert title in printed
    assert "2 complaint(s) received" in printed and "draft 2026.12-draft" in printed
    assert f"outcome changes (1): {late}" in printed and f"breach under the draft only (1): {late}" in printed
    row = next(line for line in printed.splitlines() if "general" in line and " resolve " in line)
    assert [cell.strip() for cell in row.split("│")[4:7]] == ["0", "1", "+1"], row  # breaches before, after, change

    data = json.loads(_cli(database_url, tmp_path, draft, "--until", until, "--json", "--against", "in-force"))
    assert data["changed"] == [late] and data["compared_with"] == "in_force" and data["replayed"] == 2

    bad = _draft(tmp_path, ("resolve: 3 working days ", "resolve: 3 wrking days  "), name="bad.yaml")
    said = _cli(database_url, tmp_path, str(bad), code=1)
    assert f"{bad}:" in said and "tiers.general.deadlines.resolve" in said and "Traceback" not in said
    assert "--against: 'later'" in _cli(database_url, tmp_path, draft, "--against", "later", code=2)
