"""One read model per view: the complaint page, the list, the board and the export give one
answer, whichever door asks (CLI, API, export), on both databases."""

from __future__ import annotations

import pytest

from desk import views
from desk.export import Export, rows
from desk.service import Desk
from desk.store.extract import Selection
from tests.support import at

pytestmark = pytest.mark.integration

PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}


def test_the_page_the_list_and_the_export_agree_a_stage_is_overdue(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.classify(number, actor="li-na", now=t, type="cleaning_late")
    later = at("2026-12-15 09:00")  # long past the resolve deadline, nothing done
    page = desk.read_complaint(number, later, reader="li-na")
    exported = next(rows(desk, Export(Selection(), redact=True, now=later)))
    listed = desk.list_complaints(views.Filters(), later, reader="li-na").rows
    page_verdicts = [(d.stage, d.round, d.verdict) for d in page.deadlines]
    assert ("resolve", 1, "overdue") in page_verdicts
    assert page_verdicts == [(d["stage"], d["round"], d["verdict"]) for d in exported["deadlines"]]
    assert listed[0].overdue and listed[0].seconds_to_breach is not None and listed[0].seconds_to_breach < 0
    assert page.seconds_to_breach == min(d.seconds_to_breach for d in page.deadlines if d.seconds_to_breach is not None)


def test_the_board_names_an_unclassified_complaint_and_orders_tiers(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    desk.file(actor="li-na", now=t, family="property", complainant=PERSON)
    urgent = desk.file(actor="li-na", now=t, family="property", complainant=PERSON).number
    desk.dispatch(urgent, actor="li-na", now=t, crew="on duty")
    desk.classify(urgent, actor="li-na", now=t, type="lift_failure")
    board = desk.board(at("2026-11-30 09:00"))
    assert [(row.tier, row.state) for row in board.by_tier_and_state] == [("urgent", "classified"),
                                                                          ("unclassified", "received")]
    assert list(board.overdue_by_tier) == ["urgent", "unclassified"]
    assert "None" not in board.model_dump_json()


def test_pages_follow_one_another_without_gaps_or_repeats(desk: Desk) -> None:
    t = at("2026-11-23 09:00")
    filed = []
    kinds = ["cleaning_late", "service_attitude", "cleaning_late", "unreasonable_fees", "service_attitude"]
    for i, kind in enumerate(kinds):
        number = desk.file(actor="li-na", now=t.replace(minute=i), family="property", complainant=PERSON).number
        desk.classify(number, actor="li-na", now=t.replace(minute=i), type=kind)
        filed.append(number)
    unclassified = desk.file(actor="li-na", now=t.replace(minute=9), family="property", complainant=PERSON).number
    later = at("2026-11-23 10:00")
    for sort in ("received", "breach"):
        seen: list[views.ListRow] = []
        cursor = None
        for _ in range(10):
            page = desk.list_complaints(views.Filters.checked(limit=2, sort=sort, cursor=cursor), later)
            seen += page.rows
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(r.number for r in seen) == sorted([*filed, unclassified]), sort
        if sort == "received":
            assert [r.number for r in seen] == [unclassified, *reversed(filed)]
        else:
            due = [r.next_due for r in seen]
            known = [d for d in due if d is not None]
            assert known == sorted(known) and due[len(known):] == [None] * (len(due) - len(known))
