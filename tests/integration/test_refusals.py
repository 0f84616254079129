"""Triggers refused (wrong state, no authority, a stale version) are refused with the reason
and recorded as refused, while the complaint itself is left exactly as it was."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from desk import export as exporting
from desk.errors import ConcurrentUpdate, DeskError, NotPermitted
from desk.service import Desk
from desk.store.extract import Selection
from desk.store.tables import events
from states import ComplaintError, TriggerNotAllowed
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
T = at("2026-11-23 09:00")


def _state(desk: Desk, number: str) -> tuple[str, int, int, list[dict[str, object]]]:
    """Status, version, stored events and refusals: what a refusal must leave (or add)."""
    with desk.reading() as uow:
        loaded = uow.complaints.get(number)
        stored = uow.connection.execute(
            select(func.count()).select_from(events).where(events.c.complaint_id == loaded.id)).scalar_one()
        return loaded.complaint.status, loaded.version, int(stored), uow.refusals.of(loaded.id)


def _refused(desk: Desk, number: str, attempt: object, error: type[Exception]) -> dict[str, object]:
    """Runs a refused attempt; checks nothing changed but one refusal row, and returns that row."""
    status, version, stored, refusals = _state(desk, number)
    with pytest.raises(error) as caught:
        attempt()  # type: ignore[operator]
    after = _state(desk, number)
    assert after[:3] == (status, version, stored), "a refused trigger changed the complaint"
    assert len(after[3]) == len(refusals) + 1, "the refusal was not recorded"
    row = after[3][-1]
    assert row["reason"] == str(caught.value) and row["status"] == status
    print(f"refused {row['trigger']} by {row['actor']} in '{status}' ({row['kind']}): {row['reason']}")
    return row


def test_refused_triggers_are_recorded_with_their_reason(desk: Desk) -> None:
    number = desk.file(actor="li-na", now=T, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=T, type="unreasonable_fees")

    wrong_state = _refused(desk, number, lambda: desk.feed_back(number, actor="li-na", now=T, channel="sms"),
                           TriggerNotAllowed)
    assert wrong_state["kind"] == "wrong_state" and "'feed_back' is not allowed there" in str(wrong_state["reason"])

    desk.assign(number, actor="li-na", now=T, handler="zhao-min")
    desk.record_findings(number, actor="zhao-min", now=T, findings="overcharged for parking")
    # 首诉负责制: the handler works the case but only its owner (or a head) closes it.
    closing = _refused(desk, number, lambda: desk.close(number, actor="zhang-li", now=T), NotPermitted)
    assert closing["kind"] == "not_permitted" and "(permissions.close) allows first_responder" in str(
        closing["reason"])

    # 800 yuan is above a department head's rung (up to 500, with the duty manager): the
    # general manager decides it, so the head's approval is refused.
    desk.request_approval(number, actor="zhao-min", now=T, action="resolve", approver="he-ping",
                          amount=Decimal(800))
    over_limit = _refused(desk, number, lambda: desk.approve(number, actor="he-ping", now=T, approval=1),
                          NotPermitted)
    assert "may approve up to" in str(over_limit["reason"]) and "general_manager" in str(over_limit["reason"])

    _, version, _, _ = _state(desk, number)
    stale = _refused(desk, number, lambda: desk.record_findings(
        number, actor="zhao-min", now=T + timedelta(minutes=1), findings="more", expected_version=version - 1),
        ConcurrentUpdate)
    assert stale["kind"] == "conflict"

    desk.request_approval(number, actor="zhao-min", now=T + timedelta(minutes=2), action="resolve",
                          approver="ma-jing", amount=Decimal(800))
    granted = desk.approve(number, actor="ma-jing", now=T + timedelta(minutes=3), approval=2)
    assert granted.event.data["status"] == "granted"  # the one with authority still can
    refusals = _state(desk, number)[3]
    assert [r["kind"] for r in refusals] == ["wrong_state", "not_permitted", "not_permitted", "conflict"]
    assert {r["actor"] for r in refusals} == {"li-na", "zhang-li", "he-ping", "zhao-min"}
    (row,) = exporting.rows(desk, exporting.Export(Selection(), redact=True, now=T))
    assert [(r["trigger"], r["kind"]) for r in row["refusals"]] == [
        ("feed_back", "wrong_state"), ("close", "not_permitted"), ("approve", "not_permitted"),
        ("record_findings", "conflict")]  # analysts see them too


def test_a_refusal_of_an_unknown_complaint_is_reported_not_recorded(desk: Desk) -> None:
    with pytest.raises(DeskError, match="TS-2026-999999"):
        desk.close("TS-2026-999999", actor="li-na", now=T)


def test_every_kind_of_refusal_reaches_the_caller_as_one_sentence(desk: Desk) -> None:
    """What the CLI prints is the exception's text: one line, naming the complaint."""
    number = desk.file(actor="li-na", now=T, family="property", complainant=PERSON).number
    for attempt in (lambda: desk.close(number, actor="li-na", now=T),
                    lambda: desk.reopen(number, actor="zhang-li", now=T, reason="x")):
        with pytest.raises((DeskError, ComplaintError)) as caught:
            attempt()
        assert number in str(caught.value) and "\n" not in str(caught.value)
