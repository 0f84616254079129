"""The shape of each family's machine, and that the shipped policies only name what exists."""

from __future__ import annotations

from collections import deque

import pytest

from policies import Policy
from policies.schema import ACCESS_ACTIONS
from states import MACHINES, TERMINAL, Family, allowed_triggers, states_of, to_mermaid, triggers_of

pytestmark = pytest.mark.unit


def _edges(family: Family) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {s: set() for s in states_of(family)}
    for event in MACHINES[family].events.values():
        for source, transitions in event.transitions.items():
            for t in transitions:
                graph[source].add(t.dest or source)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in graph[queue.popleft()] - seen:
            seen.add(nxt)
            queue.append(nxt)
    return seen


@pytest.mark.parametrize("family", list(Family))
def test_every_state_is_reachable_from_received(family: Family) -> None:
    assert _reachable(_edges(family), "received") == set(states_of(family))


@pytest.mark.parametrize("family", list(Family))
def test_terminal_states_have_no_exits(family: Family) -> None:
    for state in TERMINAL:
        assert allowed_triggers(family, state) == []
        assert _edges(family)[state] == set()


@pytest.mark.parametrize("family", list(Family))
def test_every_open_state_can_still_finish(family: Family) -> None:
    graph = _edges(family)
    for state in states_of(family):
        assert _reachable(graph, state) & set(TERMINAL), f"{state} can never end"


def test_family_specific_steps_exist_only_in_their_family() -> None:
    assert "dispatched" in states_of("property") and "dispatched" not in states_of("enterprise")
    assert "awaiting_evidence" in states_of("enterprise") and "awaiting_evidence" not in states_of("property")
    assert "appeal" in triggers_of("enterprise") and "appeal" not in triggers_of("property")


def test_machines_have_no_auto_transition_back_doors() -> None:
    for machine in MACHINES.values():
        assert not [name for name in machine.events if name.startswith("to_")]


@pytest.mark.parametrize("fixture", ["property_policy", "enterprise_policy"])
def test_every_state_and_trigger_a_shipped_policy_names_exists(fixture: str, request: pytest.FixtureRequest) -> None:
    policy: Policy = request.getfixturevalue(fixture)
    states, triggers = set(states_of(policy.family)), set(triggers_of(policy.family))
    for name, stage in policy.spec.stages.items():
        assert stage.from_ in states, name
        assert set(stage.until) <= states, name
        if stage.on_expiry:
            assert stage.on_expiry in allowed_triggers(policy.family, stage.from_), name
    assert set(policy.spec.permissions) <= triggers | set(ACCESS_ACTIONS)
    for tier in ("urgent", "important", "general"):
        assert set(policy.spec.tiers.of(tier).deadlines) <= set(policy.spec.stages)


@pytest.mark.parametrize("family", list(Family))
def test_the_mermaid_diagram_is_drawn_from_the_live_machine(family: Family) -> None:
    diagram = to_mermaid(family)
    assert diagram.startswith("stateDiagram-v2\n")
    assert "[*] --> received" in diagram
    for state in TERMINAL:
        assert f"{state} --> [*]" in diagram
    for event in MACHINES[family].events.values():
        assert event.name in diagram
    assert "revisited --> assigned : reopen" in diagram
