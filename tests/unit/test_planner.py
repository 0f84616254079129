"""The timer planner on its own: a complaint moved by the pure machine, its timers kept in a list,
each event's diff applied by hand. A fixed clock, no database."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from typing import Any

import pytest

from desk.lanes import Kind, lane_tier
from desk.planner import Timer, TimerDiff, plan
from desk.timers import wanted
from policies import shipped_policy
from states import Complaint, fire, receive
from tests.support import at

pytestmark = pytest.mark.unit

POLICY = shipped_policy("property")


class Stored:
    """The timers table, as a list: what Timers.apply would write."""

    def __init__(self) -> None:
        self.timers: list[Timer] = []
        self.ids = count(1)

    def apply(self, c: Complaint, diff: TimerDiff, now: datetime) -> None:
        moves = {m.timer_id: m for m in diff.move}
        kept = []
        for t in self.timers:
            if t.id in diff.finish and t.done_at is None:
                t = t._replace(done_at=now)
            m = moves.get(t.id)
            if m is not None and t.fired_at is None:
                t = t._replace(tier=m.tier or t.tier, held_since=m.held_since if m.held_since else
                            (None if m.released else t.held_since), due_at=m.due_at or t.due_at)
            kept.append(t)
        kept += [Timer(next(self.ids), p.kind, p.stage, p.level, p.round, lane_tier(c.tier), p.due_at, p.met_by)
                 for p in diff.add]
        self.timers = kept

    def pending(self) -> dict[tuple[Any, ...], datetime]:
        return {t.key: t.due_at for t in self.timers if t.done_at is None and t.fired_at is None}


def act(c: Complaint, stored: Stored, trigger: str, when: str, **data: Any) -> TimerDiff:
    event = fire(c, trigger, actor="li-na", at=at(when), **data)
    diff = plan(POLICY, c, stored.timers, event)
    stored.apply(c, diff, at(when))
    return diff


def test_each_event_changes_only_the_timers_it_concerns() -> None:
    stored = Stored()
    c = receive(number="TS-2026-000001", family="property", first_responder="li-na", received_at=at("2026-11-23 09:00"),
                channel="phone")
    stored.apply(c, plan(POLICY, c, [], c.events[0]), at("2026-11-23 09:00"))
    assert set(stored.pending()) == {(Kind.STAGE_DEADLINE, "triage", 0, 1), (Kind.ESCALATION, "triage", 1, 1),
                                     (Kind.ESCALATION, "triage", 2, 1), (Kind.ESCALATION, "triage", 3, 1)}

    act(c, stored, "classify", "2026-11-23 09:10", type="cleaning_late", tier="general", responsibility="own",
        policy_version=POLICY.version, revisit_attempts=2)
    assert stored.pending()[(Kind.STAGE_DEADLINE, "resolve", 0, 1)] == at("2026-11-26 18:00")
    assert (Kind.STAGE_DEADLINE, "triage", 0, 1) not in stored.pending()  # met by classification

    assert not act(c, stored, "assign", "2026-11-23 09:20", handler="zhang-li", department="environment")
    diff = act(c, stored, "pause", "2026-11-24 10:00", reason="awaiting_courier", stages=["resolve"],
               cap_ends=at("2026-12-01 10:00"))
    held = {t.key for t in stored.timers if t.held_since == at("2026-11-24 10:00")}
    assert held == {k for k in stored.pending() if k[1] == "resolve" and k[0] != Kind.PAUSE_CAP}
    assert [p.kind for p in diff.add] == [Kind.PAUSE_CAP]
    act(c, stored, "resume", "2026-11-25 10:00")  # paused one working day (9 hours)
    assert stored.pending()[(Kind.STAGE_DEADLINE, "resolve", 0, 1)] == at("2026-11-27 18:00")
    assert not [t for t in stored.timers if t.held_since is not None]

    act(c, stored, "record_findings", "2026-11-26 09:00", findings="rota skipped")
    act(c, stored, "resolve", "2026-11-26 10:00", resolution="repair", detail="swept", authority_limit=0)
    assert {k[1] for k in stored.pending()} == {"feed_back"}  # resolve met, feed_back started
    # The same history replayed from scratch calls for exactly what was written, event by event.
    assert {k: row["due_at"] for k, row in wanted(POLICY, c).items()} == stored.pending()
    act(c, stored, "withdraw", "2026-11-26 11:00", reason="moved out")
    assert stored.pending() == {}
