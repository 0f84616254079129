"""Exactly on the line: the moments and amounts where a rule flips, each as the person affected
would see it (a complaint filed on the window's last minute, a stage at its due minute, half a
fen, a file that is not there). Found by `make mutate`: a `<=` made `<` changed none of the
other tests' answers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from policies import Policy, PolicyError, load_policy, parse_policy
from policies.loader import TOO_DEEP
from policies.policy import SHIPPED
from policies.problems import quoted
from policies.schema import json_schema
from policies.tracking import stage_report
from states import fire, receive
from tests.support import at

pytestmark = pytest.mark.unit


def test_a_complaint_filed_on_the_last_minute_of_its_window_is_in_time(enterprise_policy: Policy) -> None:
    """Seed 000: harassment may be filed 0-15 days after the trade succeeded (交易成功的0-15天内)."""
    success = at("2026-11-01 10:00")
    ends = enterprise_policy.filing_window_ends("harassment", success)
    assert ends == at("2026-11-16 10:00")
    assert enterprise_policy.within_filing_window("harassment", success, success)  # day 0
    assert enterprise_policy.within_filing_window("harassment", success, ends)
    assert not enterprise_policy.within_filing_window("harassment", success, ends + timedelta(minutes=1))
    assert not enterprise_policy.within_filing_window("harassment", success, success - timedelta(minutes=1))
    # A type with no window may always be filed.
    assert enterprise_policy.filing_window_ends("product_quality", success) is None
    assert enterprise_policy.within_filing_window("product_quality", success, success + timedelta(days=400))


def test_a_stage_is_overdue_only_after_its_due_minute(property_policy: Policy) -> None:
    received = at("2026-11-23 09:00")
    c = receive(number="TS-2026-000011", family="property", first_responder="li-agent", received_at=received,
                channel="phone")
    (triage,) = [s for s in stage_report(property_policy, c) if s.stage == "triage"]
    assert triage.due_at == at("2026-11-23 09:30")
    assert triage.overdue_at(at("2026-11-23 09:30")) is None  # due now is not late yet
    assert triage.overdue_at(at("2026-11-23 09:31")) == timedelta(minutes=1)
    fire(c, "classify", actor="li-agent", at=at("2026-11-23 09:45"), type="cleaning_late", tier="general",
         responsibility="own", policy_version=property_policy.version, revisit_attempts=2)
    (late,) = [s for s in stage_report(property_policy, c) if s.stage == "triage"]
    assert (late.met_at, late.met_in_time, late.overdue_at(at("2026-11-24 09:00"))) == (
        at("2026-11-23 09:45"), False, None)  # met late: late, but no longer overdue


@pytest.mark.parametrize(
    ("price", "owed"),
    [("0", "1.00"),  # a free item shipped late still owes the floor
     ("40.50", "2.03"),  # 2.025: half a fen rounds up, not to the even fen
     ("40.70", "2.04")],  # 2.035
)
def test_late_shipping_rounds_half_a_fen_up(enterprise_policy: Policy, price: str, owed: str) -> None:
    assert enterprise_policy.compensation_for("late_shipping", price) == Decimal(owed)


def test_problems_with_the_file_itself_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "property.yaml"
    with pytest.raises(PolicyError) as refused:
        load_policy(missing)
    (problem,) = refused.value.problems
    assert (problem.file, problem.line, problem.key, str(problem)) == (
        str(missing), None, "", f"{missing}: no such file")
    huge = tmp_path / "huge.yaml"
    huge.write_text("a: b\n" * 300_000, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(huge)
    assert str(refused.value.problems[0]) == (
        f"{huge}:1: the file is 1,500,000 bytes; a policy file is at most 1,000,000")


def test_nesting_deeper_than_the_parser_allows_reads_as_the_same_sentence() -> None:
    """libyaml stops flow collections at 1,000 levels before the composer counts 32: the
    manager reads one sentence whichever noticed."""
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    for depth in (40, 1_500):
        deep = text.replace("timezone: Asia/Shanghai", "timezone: " + "[" * depth + "x" + "]" * depth, 1)
        with pytest.raises(PolicyError) as refused:
            parse_policy(deep, "deep.yaml")
        (problem,) = refused.value.problems
        assert (problem.line, problem.message) == (8, TOO_DEEP)


def test_long_values_are_cut_in_messages_saying_how_long_they_were() -> None:
    assert quoted("x" * 58) == repr("x" * 58)  # 60 characters with the quotes: shown whole
    assert quoted("x" * 59) == repr("x" * 59)[:60] + "... (59 characters)"
    assert quoted(list(range(100))) == repr(list(range(100)))[:60] + "... (100 items)"
    assert quoted({str(i): i for i in range(30)}).endswith("... (30 items)")


def test_the_json_schema_for_editors_uses_the_keys_people_write() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    stage = schema["$defs"]["StageSpec"]["properties"]
    assert "from" in stage and "from_" not in stage  # `from: received`, as the files say


def test_a_refusal_counts_its_problems_and_lists_one_per_line(tmp_path: Path) -> None:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    one = tmp_path / "one.yaml"
    one.write_text(text.replace("timezone: Asia/Shanghai", "timezone: Mars/Base", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(one)
    assert str(refused.value).startswith(f"1 problem in {one}:\n  {one}:8: timezone: unknown time zone 'Mars/Base'")
    two = tmp_path / "two.yaml"
    two.write_text(text.replace("timezone: Asia/Shanghai", "timezone: Mars/Base", 1)
                   .replace("dispatch: 15 minutes", "dispatch: soon", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(two)
    lines = str(refused.value).splitlines()
    assert lines[0] == f"2 problems in {two}:" and len(lines) == 3
    assert all(line.startswith(f"  {two}:") for line in lines[1:])


def test_amounts_must_be_plain_non_negative_numbers() -> None:
    from states import GuardRefused
    from tests.unit.test_first_responsibility import _assigned

    c, clock = _assigned()
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="damage")
    for bad in (-5, "Infinity", "NaN", True, "lots"):
        with pytest.raises(GuardRefused, match="non-negative number of yuan"):
            fire(c, "resolve", actor="wang-maint", at=clock(), resolution="compensation", detail="x",
                 compensation=bad, authority_limit=50)
    fire(c, "resolve", actor="wang-maint", at=clock(), resolution="apology", detail="said sorry",
         compensation=0, authority_limit=0)  # nothing paid needs no authority
    assert c.status == "resolved" and c.resolutions[-1].compensation == 0


def test_a_snapshot_is_the_complaint_as_it_stood() -> None:
    from tests.unit.test_first_responsibility import _assigned

    c, clock = _assigned()
    before = c.snapshot()
    assert before["_status"] == "assigned" and before["handler"] == "wang-maint" and "_moving" not in before
    fire(c, "record_findings", actor="wang-maint", at=clock(), findings="f")
    assert c.snapshot() != before
    assert len(before["events"]) == 3 and len(c.events) == 4  # lists copied, not shared
