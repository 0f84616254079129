"""Random sequences of pauses, extensions, promises, referrals, work and sweeps on a real database
(hypothesis).

Whatever order people pause, resume, ask for and decide extensions, work and the sweeps fire
in: no timer is lost or doubled (the stored pending timers are exactly those the policy and the record call for), every
pending one falls due when the complaint's history says it should (the moves on resume agree
with a replay from scratch), a fired timer never moves, and the paused time `desk show`
reports is the time between each pause and its end in the timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from desk.errors import DeskError
from desk.service import Desk
from desk.timers import wanted
from states import ComplaintError
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼上漏水"}
STEPS = ("pause", "pause", "resume", "resume", "assign", "findings", "resolve", "sweep", "sweep", "wait", "extend",
         "grant", "refuse", "feed_back", "unsatisfied", "reopen", "promise", "progress", "refer", "answer", "bounce",
         "close", "unreachable", "advance", "advance", "advance", "advance")
REASONS = ("awaiting_complainant", "awaiting_utility", "awaiting_courier")


@pytest.fixture(scope="module")
def shared_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    home = tmp_path_factory.mktemp("pause-properties")
    desk = open_desk(f"sqlite:///{home / 'desk.db'}", home)
    yield desk
    desk.engine.dispose()


def _timers(desk: Desk, number: str) -> list[dict[str, Any]]:
    with desk.reading() as uow:
        return uow.timers.keys_of(uow.complaints.get(number).id)


def _check(desk: Desk, number: str, now: datetime, fired_before: dict[Any, tuple[Any, Any]]) -> None:
    rows = _timers(desk, number)
    keys = [(t["kind"], t["stage"], t["level"], t["round"]) for t in rows]
    assert len(keys) == len(set(keys)), "a timer was doubled"
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
        policy = desk.book.for_complaint(loaded.complaint, uow)
    c = loaded.complaint
    stored = {k: t for k, t in zip(keys, rows, strict=True)}
    live = {k for k, t in stored.items() if t["done_at"] is None}
    wanted_now = wanted(policy, c, stored)
    assert set(wanted_now) <= set(stored), f"lost: {set(wanted_now) - set(stored)}"
    assert live <= set(wanted_now), f"left running though no longer wanted: {live - set(wanted_now)}"
    # Replayed from scratch, the history calls for no timer that is not stored, and puts every
    # pending, unheld one where it is stored.
    fresh = wanted(policy, c)
    assert set(fresh) <= set(stored), f"never written: {set(fresh) - set(stored)}"
    for key in live:
        t = stored[key]
        if t["fired_at"] is None and t["held_since"] is None:
            assert t["due_at"] == fresh[key]["due_at"], f"{key}: stored {t['due_at']}, replayed {fresh[key]['due_at']}"
        # Held exactly while a pause of its stage lasts.
        paused = c.paused is not None and key[1] in c.paused.stages and key[3] == c.paused.round
        if t["fired_at"] is None and key[0] in ("stage_deadline", "escalation"):
            assert (t["held_since"] is not None) == paused, key
    for key, t in stored.items():
        if t["fired_at"] is not None:
            if key in fired_before:
                assert fired_before[key] == (t["due_at"], t["fired_at"]), f"fired {key} moved"
            fired_before[key] = (t["due_at"], t["fired_at"])
    # Paused time as shown equals the pauses read off the timeline.
    view = desk.read_complaint(number, now, reader="li-na")
    began = [e.at for e in view.events if e.name == "Paused"]
    ended = [e.at for e in view.events if e.name in ("Resumed", "Withdrawn", "Rejected")]
    total = sum(((ended[i] if i < len(ended) else now) - start for i, start in enumerate(began)), timedelta())
    assert view.paused_seconds == int(total.total_seconds())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(min_value=1, max_value=16),
                                st.sampled_from(REASONS)), min_size=1, max_size=20),
       tier=st.sampled_from(["important", "general"]), ahead=st.integers(min_value=0, max_value=8))
def test_pauses_and_extensions_never_lose_double_or_move_a_fired_timer(
        shared_desk: Desk, steps: list[tuple[str, int, str]], tier: str, ahead: int) -> None:
    desk, now = shared_desk, at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=now, family="property", complainant=PERSON).number
    now += timedelta(minutes=50)  # classified later than received: stages counted from receipt start back then
    desk.classify(number, actor="li-na", now=now, type="service_attitude", tier=tier)
    fired: dict[Any, tuple[Any, Any]] = {}
    # Walked `ahead` steps down the lifecycle first (2 hours apart), so that callbacks, reopened
    # rounds and closing are reached as often as the early states.
    for step, hours, reason in [("advance", 2 + i % 2, REASONS[0]) for i in range(ahead)] + steps:
        now += timedelta(hours=hours)
        if step == "advance":  # the next step of the lifecycle, whatever the state: reaches callbacks and rounds
            with desk.reading() as uow:
                status = uow.complaints.get(number).complaint.status
            step = {"classified": "assign", "assigned": "findings", "investigated": "resolve",
                    "resolved": "feed_back", "fed_back": ("unsatisfied", "satisfied", "unreachable")[hours % 3],
                    "revisited": "reopen" if hours % 2 else "close"}.get(status, "wait")
        try:
            if step == "pause":
                desk.pause(number, actor="li-na", now=now, reason=reason)
            elif step == "resume":
                desk.resume(number, actor="li-na", now=now)
            elif step == "assign":
                desk.assign(number, actor="li-na", now=now, handler="chen-hui")
            elif step == "findings":
                desk.record_findings(number, actor="chen-hui", now=now, findings="checked")
            elif step == "resolve":
                desk.resolve(number, actor="chen-hui", now=now, resolution="apology", detail="apologised")
            elif step == "extend":
                desk.request_extension(number, actor="li-na", now=now, stage="resolve", reason="waiting for parts",
                                       new_due=now + timedelta(days=hours))
            elif step in ("grant", "refuse"):
                with desk.reading() as uow:
                    asked = [e.id for e in uow.complaints.get(number).complaint.extensions if e.status == "pending"]
                decide = desk.approve_extension if step == "grant" else desk.decline_extension
                decide(number, actor="chen-hui", now=now, extension=asked[-1] if asked else 1, note="decided")
            elif step == "feed_back":
                desk.feed_back(number, actor="li-na", now=now, channel="sms")
            elif step in ("unsatisfied", "satisfied", "unreachable"):
                desk.record_revisit(number, actor="li-na", now=now, outcome=step)
            elif step == "reopen":
                desk.reopen(number, actor="li-na", now=now, reason="still rude")
            elif step == "promise":
                desk.promise(number, actor="li-na", now=now, reason="manager calls back",
                             promised_for=now + timedelta(hours=hours))
            elif step == "progress":
                desk.report_progress(number, actor="chen-hui", now=now, channel="sms", text="in hand")
            elif step == "refer":
                desk.refer(number, actor="li-na", now=now, to="general_manager", reason="needs a decision")
            elif step == "answer":
                desk.answer_referral(number, actor="ma-jing", now=now, referral=1, answer="go ahead")
            elif step == "bounce":
                desk.hand_off(number, actor="li-na", now=now, to="li-na" if hours % 2 else "chen-hui",
                              reason="not mine")
            elif step == "close":
                desk.close(number, actor="li-na", now=now, final_decision="explained")
            elif step == "sweep":
                desk.fire_due_timers(now)
        except (DeskError, ComplaintError):
            pass  # refused (wrong state, paused, a missed deadline): nothing may have changed
        else:
            event(f"done: {step}")  # how often each step got through (--hypothesis-show-statistics)
        _check(desk, number, now, fired)
