"""The clocks' rules without a database: every kind of timer fires by one entry of one table, and
a policy's clock keys refuse what cannot work, at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.lanes import CALLBACK_KINDS, ESCALATION_KINDS, Kind
from desk.store.tables import PENDING_CALLBACKS, PENDING_ESCALATIONS
from desk.timers import ESCALATING, FIRING
from desk.views import clock_rules
from policies import PolicyError, load_policy, shipped_policy
from policies.policy import SHIPPED
from tests.support import at

pytestmark = pytest.mark.unit


def test_every_kind_of_timer_fires_by_one_entry_and_is_swept_by_exactly_one_lane() -> None:
    assert set(FIRING) == set(Kind)
    assert set(ESCALATION_KINDS) | set(CALLBACK_KINDS) == {k.value for k in Kind}
    assert not set(ESCALATION_KINDS) & set(CALLBACK_KINDS)
    # The escalations lane's index names only the callbacks': a new kind is swept without a migration.
    assert "NOT IN ('revisit', 'revisit_expiry')" in PENDING_ESCALATIONS
    assert "kind IN ('revisit', 'revisit_expiry')" in PENDING_CALLBACKS
    assert "held_since IS NULL" in PENDING_ESCALATIONS and "held_since IS NULL" in PENDING_CALLBACKS


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "property.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_rung_before_the_deadline_cannot_repeat(tmp_path: Path) -> None:
    path = _edited(tmp_path, "  - {at: -20%, notify: handler, action: reminder}                 # 12345 催办",
                   "  - {at: -20%, notify: handler, action: reminder, every: 1 working day}  # 12345 催办")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    [problem] = refused.value.problems
    assert problem.key == "escalation[0].every" and "cannot repeat until the stage is met" in problem.message
    assert problem.line == next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                                if "reminder, every" in line)


def test_the_clock_keys_take_their_sourced_defaults_and_refuse_unknown_stages(tmp_path: Path) -> None:
    policy = shipped_policy("property")
    assert (policy.spec.pause.tiers, str(policy.spec.pause.cap)) == (["important", "general"], "5 working days")
    assert policy.spec.extension.per_stage == 1 and "department_head" in policy.spec.extension.approvers
    assert str(policy.progress_every("important")) == "2 working days" and policy.progress_every("general") is None
    assert policy.promise_reminder_at(at("2026-11-25 15:00")) == at("2026-11-25 13:00")
    path = _edited(tmp_path, "permissions:                       # our choice",
                   "pause:\n  stages: [repair]\npermissions:                       # our choice")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert refused.value.problems[0].key == "pause.stages[0]"
    assert "unknown stage 'repair'" in refused.value.problems[0].message


def test_a_working_deadline_moves_by_working_time_and_a_clock_one_by_clock_time() -> None:
    policy = shipped_policy("property")
    paused, resumed = at("2026-11-27 17:00"), at("2026-11-30 10:00")  # Friday 17:00 to Monday 10:00
    assert policy.paused_working_minutes(paused, resumed) == 120  # an hour on Friday, an hour on Monday
    assert policy.resumed_due(at("2026-12-01 18:00"), "working", paused, resumed) == at("2026-12-02 11:00")
    assert policy.resumed_due(at("2026-12-01 18:00"), "clock", paused, resumed) == at("2026-12-04 11:00")


def test_explain_says_how_each_clock_works_for_the_tier() -> None:
    policy = shipped_policy("property")
    urgent, important = clock_rules(policy, "urgent"), clock_rules(policy, "important")
    assert urgent[0] == "pause: urgent complaints may not stop their clock (pause.tiers: important, general)"
    assert important[0].startswith("pause: investigate, resolve may stop their clock")
    assert any(r.startswith("progress: ") and "every 2 working days" in r for r in important)
    assert not any(r.startswith("progress: ") for r in urgent)


def test_every_kind_that_fires_has_words_in_a_sweeps_title_and_the_escalating_ones_reach_prefect() -> None:
    from flows.publish import VERBS

    assert set(VERBS) == {k.value for k in Kind}
    assert {"escalation", "repeat", "promise_due", "referral_due", "progress_due"} == ESCALATING
