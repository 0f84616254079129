"""Managers' reports on a small known dataset, on both databases: SLA compliance by tier and stage
per bucket (verdicts as the complaint page gives them), reopen and satisfaction rates, the first
responders' board, and their CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from desk import reports
from desk.errors import BadInput
from desk.service import Desk
from tests.support import at

pytestmark = pytest.mark.integration
PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
MONDAY, FRIDAY, SUNDAY = date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 29)
LATER = at("2026-11-30 09:00")  # when the report is read: open deadlines are judged now


def _week(desk: Desk) -> dict[str, str]:
    """Four general complaints received Monday 09:00: two answered Tuesday and called back
    Wednesday (one satisfied, one not and reopened), one classified late and bounced between
    handlers, never resolved; one (another first responder's) never triaged."""
    def filed(actor: str = "li-na") -> str:
        return desk.file(actor=actor, now=at("2026-11-23 09:00"), family="property", complainant=PERSON).number

    def answered(number: str, outcome: str) -> None:
        desk.classify(number, actor="li-na", now=at("2026-11-23 09:10"), type="cleaning_late")
        desk.assign(number, actor="li-na", now=at("2026-11-23 09:20"), handler="zhang-li")
        desk.record_findings(number, actor="zhang-li", now=at("2026-11-24 10:00"), findings="checked")
        desk.resolve(number, actor="zhang-li", now=at("2026-11-24 11:00"), resolution="repair", detail="cleaned")
        desk.feed_back(number, actor="li-na", now=at("2026-11-24 12:00"), channel="phone")
        desk.record_revisit(number, actor="li-na", now=at("2026-11-25 10:00"), outcome=outcome)

    found = {"satisfied": filed(), "reopened": filed(), "untriaged": filed("zhou-tao"), "late": filed()}
    answered(found["satisfied"], "satisfied")
    answered(found["reopened"], "unsatisfied")
    desk.reopen(found["reopened"], actor="li-na", now=at("2026-11-25 10:30"), reason="still dirty")
    late = found["late"]
    desk.classify(late, actor="li-na", now=at("2026-11-23 10:00"), type="cleaning_late")  # triage was due 09:30
    desk.assign(late, actor="li-na", now=at("2026-11-23 10:05"), handler="zhang-li")
    desk.hand_off(late, actor="zhang-li", now=at("2026-11-23 11:00"), to="wu-gang", reason="not mine")
    desk.hand_off(late, actor="wu-gang", now=at("2026-11-23 12:00"), to="zhang-li", reason="not mine either")
    return found


def test_a_week_reported_by_day(desk: Desk) -> None:
    _week(desk)
    found = reports.report(desk, start=MONDAY, end=FRIDAY, now=LATER, family="property", reader="ma-jing")
    assert (found.zone, found.bucket) == ("Asia/Shanghai", "day")
    seen = [(c.bucket.day, c.tier, c.stage, c.met, c.missed, c.overdue, c.open, c.compliance)
            for c in found.sla if c.met + c.missed + c.overdue + c.open]
    assert seen == [
        (24, "general", "acknowledge", 3, 0, 0, 0, 1.0),  # 24 hours from receipt; all three classified Monday
        (25, "general", "feed_back", 2, 0, 0, 0, 1.0),  # 1 working day from resolution
        (26, "general", "resolve", 2, 0, 1, 0, 0.667),  # 3 working days: the late one is still unresolved
        (23, "general", "triage", 2, 1, 0, 0, 0.667),  # 30 minutes: the late one classified at 10:00
        (23, "unclassified", "triage", 0, 0, 1, 0, 0.0),
    ]
    assert len(found.sla) == 5 * 5  # every day for each tier and stage with a deadline in the week
    rates = {r.bucket.day: (r.fed_back, r.reopened, r.reopen_rate, r.satisfied, r.unsatisfied, r.satisfaction_rate)
             for r in found.rates}
    assert rates == {23: (0, 0, None, 0, 0, None), 24: (2, 1, 0.5, 0, 0, None), 25: (0, 0, None, 1, 1, 0.5),
                     26: (0, 0, None, 0, 0, None), 27: (0, 0, None, 0, 0, None)}
    assert [(r.first_responder, r.owned, r.open, r.bounces, r.breaches) for r in found.first_responders] == [
        ("li-na", 3, 3, 1, 2),  # the late one: triage missed, resolve overdue
        ("zhou-tao", 1, 1, 0, 1),  # the untriaged one
    ]
    assert PERSON["name"] not in found.model_dump_json()


def test_weekly_buckets_and_the_csv_downloads(desk: Desk) -> None:
    _week(desk)
    found = reports.report(desk, start=MONDAY, end=SUNDAY, now=LATER, bucket="week")
    assert reports.sla_csv(found).splitlines() == [
        "bucket,tier,stage,met,missed,overdue,open,paused,extended,compliance",
        "2026-11-23,general,acknowledge,3,0,0,0,0,0,1.0",
        "2026-11-23,general,feed_back,2,0,0,0,0,0,1.0",
        "2026-11-23,general,resolve,2,0,1,0,0,0,0.667",
        "2026-11-23,general,triage,2,1,0,0,0,0,0.667",
        "2026-11-23,unclassified,triage,0,0,1,0,0,0,0.0",
    ]
    rates = list(csv.DictReader(io.StringIO(reports.rates_csv(found))))
    assert rates == [{"bucket": "2026-11-23", "fed_back": "2", "reopened": "1", "reopen_rate": "0.5",
                      "satisfied": "1", "unsatisfied": "1", "unreachable": "0", "satisfaction_rate": "0.5"}]
    assert reports.first_responders_csv(found) == (
        "first_responder,owned,open,bounces,breaches\r\nli-na,3,3,1,2\r\nzhou-tao,1,1,0,1\r\n")
    # Another family's week is empty, with its buckets still there to chart.
    empty = reports.report(desk, start=MONDAY, end=SUNDAY, now=LATER, family="enterprise", bucket="week")
    assert (empty.sla, empty.first_responders, len(empty.rates)) == ([], [], 1)


def test_a_range_the_wrong_way_round_is_refused(desk: Desk) -> None:
    with pytest.raises(BadInput, match="before the start"):
        reports.report(desk, start=FRIDAY, end=MONDAY, now=LATER)
