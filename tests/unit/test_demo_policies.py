"""The demo's policies (`make demo`, policies/demo.yaml: 60 times faster, a working day of 9
hours): what a visitor watches must be the shipped rules with minutes for hours, no more, no
less, or the escalations they see in Prefect would not be the product's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from policies import PolicyError, load_policy
from policies.demo import check_demo, write_demo_policies
from policies.policy import SHIPPED
from tests.support import at

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_policies(tmp_path_factory.mktemp("demo"))


def _yaml(folder: Path, family: str) -> Any:
    return yaml.safe_load((folder / f"{family}.yaml").read_text(encoding="utf-8"))


def test_every_duration_runs_sixty_times_faster_and_working_days_last_nine_minutes(demo: Path) -> None:
    prop, ent = _yaml(demo, "property"), _yaml(demo, "enterprise")
    urgent, important = prop["tiers"]["urgent"], prop["tiers"]["important"]
    assert urgent["deadlines"]["dispatch"] == "1 minutes"  # 15 minutes: never less than one
    assert urgent["deadlines"]["investigate"] == "2 minutes"  # 2 hours
    assert important["deadlines"]["acknowledge"] == "24 minutes"  # 24 hours
    assert important["deadlines"]["investigate"] == "168 minutes"  # 7 days
    assert important["deadlines"]["resolve"] == "117 minutes"  # 13 working days of 9 hours
    assert important["revisit"] == {"after": "9 minutes", "attempts": 3, "retry_every": "9 minutes"}
    assert prop["stages"]["triage"]["within"] == "1 minutes"  # 30 minutes
    assert ent["stages"]["evidence"]["within"] == "72 minutes"  # 3 days (seed 001)
    assert ent["appeal_window"] == "360 minutes"  # 15 days
    harassment = ent["types"]["harassment"]
    assert harassment["deadlines"] == {"resolve": "36 minutes"}  # its own 4 working days (seed 000)
    assert harassment["filing_window"] == {"within": "360 minutes", "after": "trade_success"}  # 15 days


def test_ladders_keep_their_shape_percentages_stay_and_times_shrink(demo: Path) -> None:
    prop = _yaml(demo, "property")
    assert [step["at"] for step in prop["escalation"]] == ["-20%", 0, "+45 minutes"]  # +5 working days
    assert [step["at"] for step in prop["tiers"]["urgent"]["escalation"]] == ["-20%", 0, "+1 minutes"]  # +1 hour
    shipped = yaml.safe_load((SHIPPED / "property.yaml").read_text(encoding="utf-8"))
    assert [s["notify"] for s in prop["escalation"]] == [s["notify"] for s in shipped["escalation"]]
    # Who is told, which types exist and where they go: all as shipped.
    assert {k: (v["tier"], v["route_to"]) for k, v in prop["types"].items()} == {
        k: (v["tier"], v["route_to"]) for k, v in shipped["types"].items()}


def test_a_demo_policy_is_a_policy_with_its_own_version(demo: Path) -> None:
    policy = load_policy(demo / "property.yaml")
    assert policy.version == "2026.11-3-demo"  # never mistaken for the shipped rules in the database
    received = at("2026-11-29 22:00")  # a Sunday night: the demo's clock has no night and no weekend
    deadline = policy.deadline("service_attitude", "important", "resolve", received)
    assert deadline is not None and deadline.due_at == at("2026-11-29 23:57")
    assert [(s.action, s.due_at) for s in policy.ladder("important", deadline, received)] == [
        ("reminder", at("2026-11-29 23:33:36")), ("overdue_notice", at("2026-11-29 23:57")),
        ("censure", at("2026-11-30 00:42"))]
    assert (demo / "org.yaml").read_text(encoding="utf-8") == (SHIPPED / "org.yaml").read_text(encoding="utf-8")


def test_bad_demo_settings_are_refused_at_their_line(tmp_path: Path) -> None:
    settings = tmp_path / "demo.yaml"
    settings.write_text("scale: 0.5\nworking_day: 9 hours\nfamilies: [property]\n", encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        check_demo(settings)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.key) == (str(settings), 1, "scale")
    settings.write_text("scale: 60\nworking_day: 9 hours\nfamilies: [property]\n", encoding="utf-8")
    assert check_demo(settings).families == ["property"]
