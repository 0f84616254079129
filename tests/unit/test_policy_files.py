"""Policy files as managers write them: the shipped ones load, broken ones are pointed at."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from policies import PolicyError, json_schema, load_policy, parse_duration, parse_offset, shipped_policy
from policies.policy import SHIPPED

pytestmark = pytest.mark.unit


def _write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _broken(tmp_path: Path, old: str, new: str, family: str = "property") -> PolicyError:
    """The shipped policy with one edit, loaded from a temporary file."""
    text = (SHIPPED / f"{family}.yaml").read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in the shipped policy"
    path = _write(tmp_path, text.replace(old, new, 1), f"{family}.yaml")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    return error.value


def _line_of(family: str, needle: str) -> int:
    lines = (SHIPPED / f"{family}.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize("family", ["property", "enterprise"])
def test_shipped_policies_load(family: str) -> None:
    policy = shipped_policy(family)
    assert policy.family == family and policy.version == "2026.11-3"
    assert policy.spec.types and policy.spec.stages


@pytest.mark.parametrize("family", ["property", "enterprise"])
def test_every_number_in_a_shipped_policy_names_its_source(family: str) -> None:
    text = (SHIPPED / f"{family}.yaml").read_text(encoding="utf-8")
    unsourced = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if any(ch.isdigit() for ch in line.split("#", 1)[0]) and "#" not in line
    ]
    assert not unsourced, "numbers without a source comment:\n" + "\n".join(unsourced)


def test_all_problems_are_reported_at_once_with_file_line_and_key(tmp_path: Path) -> None:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    text = text.replace("dispatch: 15 minutes", "dispatch: 15 minuts", 1)
    text = text.replace("attempts: 3                  # our choice", "attempts: many", 1)
    text = text.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghia", 1)
    text = text.replace("until: investigated}", "until: inspected}", 1)
    path = _write(tmp_path, text, "property.yaml")
    with pytest.raises(PolicyError) as error:
        load_policy(path)
    rendered = [str(p) for p in error.value.problems]
    assert len(rendered) == 4, rendered
    assert any(r.startswith(f"{path}:{_line_of('property', 'until: investigated}')}: stages.investigate.until[0]: "
                            "'inspected' is not a state of property complaints") for r in rendered)
    assert any(
        r.startswith(f"{path}:{_line_of('property', 'dispatch: 15 minutes')}: tiers.urgent.deadlines.dispatch: ")
        and "unknown unit 'minuts'" in r for r in rendered
    )
    assert any(f"{path}:{_line_of('property', 'timezone:')}: timezone: unknown time zone 'Asia/Shanghia'" in r
               for r in rendered)
    # pydantic words the type problem (asked here, not copied); we say where, which key and what was written.
    from pydantic import TypeAdapter, ValidationError

    with pytest.raises(ValidationError) as pydantic_says:
        TypeAdapter(int).validate_python("many")
    said = pydantic_says.value.errors()[0]["msg"]
    where = f"{path}:{_line_of('property', 'attempts: 3')}: tiers.urgent.revisit.attempts"
    assert f"{where}: {said} (got 'many')" in rendered
    assert str(error.value).startswith(f"4 problems in {path}:")


def test_a_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    error = _broken(tmp_path, "    tier: urgent\n    route_to: maintenance\n    deadlines:",
                    "    route_to: maintenance\n    deadlines:")
    (problem,) = error.problems
    assert problem.key == "types.lift_entrapment.tier"
    assert problem.message == "required key is missing"
    assert problem.line == _line_of("property", "lift_entrapment:")


def test_typos_in_keys_are_unknown_keys(tmp_path: Path) -> None:
    error = _broken(tmp_path, "    route_to: finance", "    route_too: finance")
    assert {p.key for p in error.problems} == {"types.unreasonable_fees.route_to", "types.unreasonable_fees.route_too"}
    assert any("unknown key" in p.message for p in error.problems)


def test_duplicate_keys_are_reported_instead_of_silently_overwritten(tmp_path: Path) -> None:
    error = _broken(tmp_path, "  burst_pipe:\n", "  lift_failure:\n")
    duplicate = next(p for p in error.problems if "duplicate key" in p.message)
    assert duplicate.key == "types.lift_failure"
    assert f"first at line {_line_of('property', 'lift_failure:')}" in duplicate.message


def test_states_and_triggers_must_exist_in_the_family_machine(tmp_path: Path) -> None:
    error = _broken(tmp_path, "resolve:     {from: received, until: resolved}",
                    "resolve:     {from: received, until: fixed}")
    (problem,) = error.problems
    assert problem.key == "stages.resolve.until[0]"
    assert "'fixed' is not a state of property complaints" in problem.message
    error = _broken(tmp_path, "  reopen: [first", "  reopen_case: [first")
    assert "'reopen_case' is not a trigger of property complaints" in error.problems[0].message


def test_an_expiry_trigger_must_be_allowed_where_the_stage_starts(tmp_path: Path) -> None:
    error = _broken(tmp_path, "on_expiry: evidence_deadline_passed", "on_expiry: close", family="enterprise")
    assert "'close' cannot be fired from 'awaiting_evidence'" in error.problems[0].message


def test_deadlines_may_only_name_defined_stages(tmp_path: Path) -> None:
    error = _broken(tmp_path, "      feed_back: 2 hours           # our choice: tell the owner the same shift",
                    "      callback: 2 hours")
    assert error.problems[0].key == "tiers.urgent.deadlines.callback"
    assert "unknown stage 'callback'" in error.problems[0].message


def test_escalation_ladders_must_climb(tmp_path: Path) -> None:
    error = _broken(tmp_path, "{at: +5 working days, notify: general_manager", "{at: -30%, notify: general_manager")
    assert error.problems[0].key == "escalation[2].at"
    assert "does not come after level 2" in error.problems[0].message


URGENT_REMINDER = ("      - {at: -20%, notify: handler, action: reminder}"
                   "                # 12345 催办 before the deadline")


def _urgent_reminders(*offsets: str) -> str:
    return "\n".join(f"      - {{at: {o}, notify: handler, action: reminder_{n}}}" for n, o in enumerate(offsets, 1))


def test_a_ladder_mixing_shares_and_durations_must_climb_on_every_deadline_it_escalates(tmp_path: Path) -> None:
    """-20% then -10 minutes climbs on a 24-hour deadline, but on the urgent tier's 15-minute
    dispatch deadline -20% is 3 minutes before it: the second reminder would come first."""
    error = _broken(tmp_path, URGENT_REMINDER, _urgent_reminders("-20%", "-10 minutes"))
    (problem,) = error.problems
    assert problem.key == "tiers.urgent.escalation[1].at"
    assert problem.line == _line_of("property", URGENT_REMINDER.strip()) + 1  # the second reminder's line
    assert problem.message.startswith("on the urgent dispatch deadline (15 minutes) level 2 at '-10 minutes' "
                                      "comes before level 1 at '-20%' ('-20%' of 15 minutes is 3 minutes before it)")


def test_a_reminder_earlier_than_the_whole_stage_is_refused(tmp_path: Path) -> None:
    error = _broken(tmp_path, URGENT_REMINDER, _urgent_reminders("-30 minutes"))
    assert error.problems[0].key == "tiers.urgent.escalation[0].at"
    assert "level 1 at '-30 minutes' falls before the urgent dispatch deadline (15 minutes) even starts" in \
        error.problems[0].message


def test_mixed_ladders_that_climb_on_every_deadline_are_accepted(tmp_path: Path) -> None:
    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
    # On each urgent deadline (5 minutes to 24 hours) half-way comes before the last 2 minutes; and
    # a working-hour reminder next to working-day deadlines is left alone (not comparable without a calendar).
    text = text.replace(URGENT_REMINDER, _urgent_reminders("-50%", "-2 minutes"), 1)
    text = text.replace("  - {at: -20%, notify: handler, action: reminder} ",
                        "  - {at: -20%, notify: handler, action: reminder}\n"
                        "  - {at: -2 working hours, notify: handler, action: last_call} ", 1)
    policy = load_policy(_write(tmp_path, text, "property.yaml"))
    assert [str(s.at) for s in policy.ladder_steps("urgent")][:2] == ["-50%", "-2 minutes"]
    assert [str(s.at) for s in policy.ladder_steps("general")][:2] == ["-20%", "-2 working hours"]


def test_authority_limits_must_rise(tmp_path: Path) -> None:
    error = _broken(tmp_path, "{up_to: 500, role: department_head", "{up_to: 20, role: department_head")
    assert error.problems[0].key == "authority[1].up_to"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must be a mapping of keys, this is empty"),
        ("- a\n- b\n", "must be a mapping of keys, this is a list"),
        ("version: [unclosed\n", "not valid YAML"),
    ],
)
def test_files_that_are_not_policies_at_all(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        load_policy(_write(tmp_path, text))


def test_a_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("text", "basis", "minutes"),
    [("15 minutes", "clock", 15), ("2 working hours", "working", 120), ("4 working days", "working", 5760),
     ("1 week", "clock", 10080), ("24 hours", "clock", 1440)],
)
def test_durations_read_like_english(text: str, basis: str, minutes: int) -> None:
    duration = parse_duration(text)
    assert duration.basis == basis and duration.minutes == minutes


@pytest.mark.parametrize("text", ["0 minutes", "15", "fifteen minutes", "3 fortnights", "-2 hours", "9999 days"])
def test_bad_durations_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ValueError, match=r"'.*'"):
        parse_duration(text)


def test_ladder_offsets_are_signed() -> None:
    assert str(parse_offset("-20%")) == "-20%" and parse_offset(0).sign == 0
    assert str(parse_offset("+5 working days")) == "+5 working days"
    with pytest.raises(ValueError, match="need a sign"):
        parse_offset("5 working days")
    with pytest.raises(ValueError, match="say '-20%'"):
        parse_offset("20%")


def test_json_schema_for_editors_describes_the_policy() -> None:
    schema = json_schema()
    json.dumps(schema)  # serialisable as it is
    assert schema["title"] == "Complaint Desk policy"
    assert {"version", "family", "stages", "tiers", "types"} <= set(schema["required"])
    tier = schema["$defs"]["TierSpec"]["properties"]
    durations = next(iter(tier["deadlines"]["patternProperties"].values()))
    assert durations["type"] == "string" and "4 working days" in durations["examples"]


@pytest.mark.parametrize(
    "breakage",
    [("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ntimezone: UTC"),  # a duplicate key
     ("dispatch: 15 minutes", "dispatch: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
     ('version: "2026.11-3"', "version: [unclosed"),
     ("timezone: Asia/Shanghai", "timezone: Asia/\x07Shanghai")],  # a control character
    ids=["duplicate key", "too deep", "not YAML", "control character"],
)
def test_pyyaml_without_libyaml_gives_the_same_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       breakage: tuple[str, str]) -> None:
    """Some platforms' PyYAML is built without libyaml: the pure-Python parser must locate every
    problem as the fast one does, and load the shipped policy to the same rules."""
    import policies.loader as loader

    text = (SHIPPED / "property.yaml").read_text(encoding="utf-8").replace(*breakage, 1)
    path = _write(tmp_path, text, "property.yaml")

    def problems() -> list[tuple[int | None, str, str]]:
        """Where and what; a syntax error in the parser's own words, which differ between the two."""
        with pytest.raises(PolicyError) as refused:
            load_policy(path)
        return [(p.line, p.key, p.message.split(":")[0] if p.message.startswith("not valid YAML") else p.message)
                for p in refused.value.problems]

    fast = problems()
    monkeypatch.setattr(loader, "_LOADER", loader._PureLoader)
    monkeypatch.setattr(loader, "_BYTE_POSITIONS", False)
    assert problems() == fast
    assert load_policy(SHIPPED / "property.yaml").spec == shipped_policy("property").spec
