"""Random trigger sequences through both machines (hypothesis).

Whatever people do, in whatever order, with good or broken arguments: a complaint is
always in a known state of its family, the first responder never changes, an accepted
trigger leaves exactly one event, and a refused one changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from states import (
    MACHINES,
    Complaint,
    ComplaintError,
    Family,
    allowed_triggers,
    fire,
    receive,
    states_of,
    triggers_of,
)
from tests.support import at

pytestmark = pytest.mark.unit

START = at("2026-09-30 15:00")
PEOPLE = ["li-agent", "wang-maint", "zhao-finance", "chen-head"]


def _good_arguments(c: Complaint, trigger: str, pick: int) -> dict[str, Any]:
    """Arguments a careful user would pass for this trigger now; `pick` varies the choices."""
    person = PEOPLE[pick % len(PEOPLE)]
    pending = [a for a in c.approvals if a.status == "pending"]
    return {
        "classify": {"type": "lift_entrapment", "tier": ["urgent", "important", "general"][pick % 3],
                     "responsibility": "own", "policy_version": "2026.11-1", "revisit_attempts": 1 + pick % 3},
        "reclassify": {"tier": "important", "reason": "owner called again"},
        "reapply_policy": {"policy_version": f"2026.12-{pick}", "revisit_attempts": 1 + pick % 2},
        "dispatch": {"tier": "urgent", "crew": "duty electrician"},
        "assign": {"handler": person, "department": "maintenance"},
        "hand_off": {"to": person, "reason": "specialist needed"},
        "request_approval": {"action": "resolve", "amount": 100 * pick, "approver": "chen-head"},
        "approve": {"approval": pending[0].id if pending else 1, "actor": pending[0].approver if pending else person},
        "decline_approval": {"approval": pending[0].id if pending else 1,
                             "actor": pending[0].approver if pending else person, "note": "too much"},
        "escalate": {"stage": "resolve", "level": pick % 4, "action": "reminder", "notify": [person]},
        "record_findings": {"findings": "checked on site"},
        "request_evidence": {"respondent": "shop-123"},
        "receive_evidence": {"items": ["chat record 88"]},
        "evidence_deadline_passed": {},
        "resolve": {"resolution": "repair", "detail": "fixed", "compensation": 20 * pick, "authority_limit": 50},
        "feed_back": {"channel": "phone"},
        "record_revisit": {"outcome": ["satisfied", "unsatisfied", "unreachable"][pick % 3]},
        "reopen": {"reason": "still leaking"},
        "appeal": {"reason": "unfair", "window_ends": c.events[-1].at + timedelta(days=15 if pick % 2 else 0)},
        "close": {"final_decision": "final" if pick % 2 else None},
        "reject": {"reason": "malicious", "note": "extortion"},
        "withdraw": {"reason": "solved between neighbours"},
    }.get(trigger, {})


def _break(arguments: dict[str, Any], damage: int) -> dict[str, Any]:
    """Drops or garbles one argument, the way hurried people do."""
    if not arguments or damage == 0:
        return arguments
    key = sorted(arguments)[damage % len(arguments)]
    broken = dict(arguments)
    if damage % 2:
        broken.pop(key)
    else:
        broken[key] = ["", None, -5, "nonsense", 3.5][damage % 5]
    return broken


# (which trigger, which argument variant, damage). `which` below 24 picks a trigger that moves
# the complaint on from its state, 24-31 any trigger the state allows (exits, escalations,
# approvals), above that anything at all, so that sequences reach the deep states too.
step = st.tuples(st.integers(0, 40), st.integers(0, 11), st.integers(0, 6))
EXITS = ("reject", "withdraw")


def _onward(c: Complaint) -> list[str]:
    found = []
    for name, event in MACHINES[c.family].events.items():
        moves = event.transitions.get(c.status, [])
        if name not in EXITS and any(t.dest not in (None, c.status) for t in moves):
            found.append(name)
    return found


def _choose(c: Complaint, which: int, everything: list[str]) -> str:
    choices = _onward(c) if which < 24 else allowed_triggers(c.family, c.status) if which < 32 else everything
    choices = choices or everything
    return choices[which % len(choices)]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(list(Family)), steps=st.lists(step, min_size=1, max_size=80))
def test_random_trigger_sequences_keep_the_invariants(family: Family, steps: list[tuple[int, int, int]]) -> None:
    triggers = [*triggers_of(family), "to_closed", "explode"]
    known_states = set(states_of(family))
    c = receive(number="TS-2026-999999", family=family, first_responder="li-agent", received_at=START,
                channel="phone")
    now = START
    for i, (which, pick, damage) in enumerate(steps):
        trigger = _choose(c, which, triggers)
        now += timedelta(minutes=7)
        arguments = _break(_good_arguments(c, trigger, pick), damage if i % 3 == 0 else 0)
        actor = arguments.pop("actor", PEOPLE[pick % len(PEOPLE)])
        before_events, before_state = len(c.events), c.status
        before = c.snapshot()
        try:
            event = fire(c, trigger, actor=actor, at=now, **arguments)
        except ComplaintError:
            assert c.snapshot() == before, f"refused '{trigger}' still changed the complaint"
            assert c.status == before_state and len(c.events) == before_events
        else:
            assert len(c.events) == before_events + 1
            assert c.events[-1] is event and event.trigger == trigger
            assert event.source == before_state and event.dest == c.status
        assert c.status in known_states
        assert c.first_responder == "li-agent"
    # The audit trail replays the journey: each event starts where the previous one ended.
    for previous, event in zip(c.events, c.events[1:], strict=False):
        assert event.source == previous.dest
    assert c.reopen_count == c.round - 1
    for e in c.events:  # `pytest --hypothesis-show-statistics` shows how deep the runs went
        hypothesis_event(f"visited {e.dest}")
