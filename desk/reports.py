"""Managers' reports over a date range, in daily or weekly buckets of the policy's zone: SLA
compliance by tier and stage, reopen and satisfaction rates, and the first responders'
accountability board (首诉负责制); each also as CSV text for a download.

A deadline's verdict comes from desk.views.verdict over the complaint's own stage deadlines
(desk.timers.stage_deadlines), as on the complaint page and in `desk export`: a report never
judges a deadline differently from the page it links to. Person ids and numbers only.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from desk.errors import BadInput
from desk.lanes import TIERS
from desk.store import ops_queries
from desk.timers import stage_deadlines
from desk.views import UNCLASSIFIED, View, verdict
from states import Family

if TYPE_CHECKING:
    from desk.service import Desk

Bucket = Literal["day", "week"]
PAGE = 500  # complaints loaded at a time for their verdicts
LONGEST = 400  # days a report may span: a year and a little, daily buckets included


class SlaCell(View):
    bucket: date = Field(description="the bucket's first day (a Monday for weekly buckets)")
    tier: str
    stage: str
    met: int
    missed: int = Field(description="met, but late")
    overdue: int = Field(description="not met, and past due now")
    open: int = Field(description="not met, not due yet")
    paused: int = Field(0, description="not met, its clock stopped now (a pause): never overdue")
    extended: int = Field(0, description="of all these, deadlines an extension (延期) moved: counted apart too")
    compliance: float | None = Field(description="met / (met + missed + overdue); none when nothing fell due")


class RateRow(View):
    bucket: date
    fed_back: int = Field(description="answers given to complainants (反馈) in the bucket")
    reopened: int = Field(description="of those answers, how many were reopened since (until the report's moment)")
    reopen_rate: float | None = Field(description="reopened / fed_back")
    satisfied: int = Field(description="callbacks (回访) recorded in the bucket that found the complainant satisfied")
    unsatisfied: int
    unreachable: int = Field(description="callback attempts in the bucket that did not reach the complainant")
    satisfaction_rate: float | None = Field(description="satisfied / (satisfied + unsatisfied): of those reached")


class ResponderRow(View):
    first_responder: str
    owned: int = Field(description="complaints received in the range that they own (首诉负责)")
    open: int = Field(description="of those, still open now")
    bounces: int = Field(description="hand-offs bounced back in the range, on complaints they own")
    breaches: int = Field(description="stage deadlines due in the range, on complaints they own, missed or overdue")


class Report(View):
    family: str | None = Field(description="none: every family")
    start: date
    end: date = Field(description="inclusive")
    bucket: Bucket
    zone: str
    at: datetime = Field(description="when it was computed: open deadlines are judged at this moment")
    sla: list[SlaCell] = Field(description="every bucket for each tier and stage that had a deadline due")
    rates: list[RateRow] = Field(description="one row per bucket")
    first_responders: list[ResponderRow]


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def bucket_of(day: date, bucket: Bucket) -> date:
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def buckets(start: date, end: date, bucket: Bucket) -> list[date]:
    step = timedelta(days=7 if bucket == "week" else 1)
    found, day = [], bucket_of(start, bucket)
    while day <= end:
        found.append(day)
        day += step
    return found


def report(desk: Desk, *, start: date, end: date, now: datetime, family: str | None = None,
           bucket: Bucket = "day", reader: str | None = None) -> Report:
    """SLA compliance, reopen and satisfaction rates and the first responders' board for the days
    `start` to `end` (inclusive) in the zone of the family's policy (property's for every family)."""
    if family is not None and family not in {f.value for f in Family}:
        raise BadInput(f"family: '{family}' is not a family (property, enterprise)")
    if bucket not in ("day", "week"):
        raise BadInput(f"bucket: '{bucket}' is not day or week")
    if not timedelta(0) <= end - start <= timedelta(days=LONGEST):
        raise BadInput(f"from {start} to {end}: the end comes before the start, or is over {LONGEST} days on")
    if reader is not None:
        desk.directory.require_staff(reader, "read reports")
    zone = desk.zone_of(family)
    since = datetime.combine(start, time(0), tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
    verdicts, breaches = _verdicts(desk, family, since, until, now, zone, bucket)
    with desk.reading() as uow:
        called = ops_queries.revisits(uow.connection, family, since, until)
        answers = ops_queries.answers_and_reopenings(uow.connection, family, since, until)
        owners = ops_queries.owned_by_first_responder(uow.connection, family, since, until)
    days = buckets(start, end, bucket)
    return Report(family=family, start=start, end=end, bucket=bucket, zone=zone.key, at=now,
                  sla=_sla(verdicts, days), rates=_rates(called, answers, (since, until), days, zone, bucket),
                  first_responders=_board(owners, breaches))


Key = tuple[date, str, str]  # bucket, tier, stage


def _verdicts(desk: Desk, family: str | None, since: datetime, until: datetime, now: datetime, zone: ZoneInfo,
              bucket: Bucket) -> tuple[dict[Key, Counter[str]], Counter[str]]:
    """Each stage deadline due in [since, until) judged at `now`, counted by bucket, tier and stage;
    and the missed or overdue ones by first responder. Complaints are read a page at a time."""
    counts: dict[Key, Counter[str]] = defaultdict(Counter)
    breaches: Counter[str] = Counter()
    after = 0
    while True:
        with desk.reading() as uow:
            ids = ops_queries.with_deadlines_due(uow.connection, family, since, until, after, PAGE)
            if not ids:
                break
            loaded = uow.complaints.get_many_by_id(ids)
            timers = uow.timers.keys_of_many(ids)
            held = [(item.complaint, stage_deadlines(desk.book.for_complaint(item.complaint, uow), item.complaint,
                                                     timers[item.id])) for item in loaded]
        for c, deadlines in held:
            for s in deadlines:
                if not since <= s.due_at < until:
                    continue
                judged = verdict(s.met_at, s.due_at, now, s.held_since is not None)
                day = bucket_of(s.due_at.astimezone(zone).date(), bucket)
                counts[(day, c.tier or UNCLASSIFIED, s.stage)][judged] += 1
                counts[(day, c.tier or UNCLASSIFIED, s.stage)]["extended"] += s.extended
                if judged in ("missed", "overdue"):
                    breaches[c.first_responder] += 1
        after = ids[-1]
    return counts, breaches


def _sla(counts: dict[Key, Counter[str]], days: Sequence[date]) -> list[SlaCell]:
    def tier_order(tier: str) -> int:  # as the board orders tiers: urgent first, unclassified last
        return TIERS.index(tier) if tier in TIERS else len(TIERS)

    series = sorted({(tier, stage) for _, tier, stage in counts}, key=lambda ts: (tier_order(ts[0]), ts[1]))
    cells = []
    for tier, stage in series:
        for day in days:
            n = counts.get((day, tier, stage), Counter())
            cells.append(SlaCell(bucket=day, tier=tier, stage=stage, met=n["met"], missed=n["missed"],
                                 overdue=n["overdue"], open=n["open"], paused=n["paused"], extended=n["extended"],
                                 compliance=share(n["met"], n["met"] + n["missed"] + n["overdue"])))
    return cells


def _rates(called: Iterable[dict[str, Any]], answers: Sequence[dict[str, Any]], window: tuple[datetime, datetime],
           days: Sequence[date], zone: ZoneInfo, bucket: Bucket) -> list[RateRow]:
    by_day: dict[date, Counter[str]] = defaultdict(Counter)

    def day_of(moment: datetime) -> date:
        return bucket_of(moment.astimezone(zone).date(), bucket)

    for call in called:
        by_day[day_of(call["at"])][call["outcome"]] += 1
    for answer, after in pairwise([*answers, None]):
        # An answer (FedBack) given in the range counts once; it was reopened if the complaint's
        # next answer-or-reopening is a reopening (a reopened complaint is answered again after).
        if answer is None or answer["name"] != "FedBack" or not window[0] <= answer["at"] < window[1]:
            continue
        counted = by_day[day_of(answer["at"])]
        counted["answered"] += 1
        if after is not None and after["complaint_id"] == answer["complaint_id"] and after["name"] == "Reopened":
            counted["reopened"] += 1
    rows = []
    for day in days:
        n = by_day.get(day, Counter())
        rows.append(RateRow(bucket=day, fed_back=n["answered"], reopened=n["reopened"],
                            reopen_rate=share(n["reopened"], n["answered"]), satisfied=n["satisfied"],
                            unsatisfied=n["unsatisfied"], unreachable=n["unreachable"],
                            satisfaction_rate=share(n["satisfied"], n["satisfied"] + n["unsatisfied"])))
    return rows


def _board(owners: dict[str, dict[str, int]], breaches: Counter[str]) -> list[ResponderRow]:
    people = sorted(set(owners) | set(breaches))
    empty = {"owned": 0, "open": 0, "bounces": 0}
    return [ResponderRow(first_responder=p, **owners.get(p, empty), breaches=breaches[p]) for p in people]


# -- CSV ------------------------------------------------------------------------------------------

def _csv(rows: Iterable[View], columns: Sequence[str]) -> str:
    """A header line, then each row's fields by name; an absent rate is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, as spreadsheets expect
    writer.writerow(columns)
    for row in rows:
        values = row.model_dump(mode="json")
        writer.writerow(["" if values[c] is None else values[c] for c in columns])
    return out.getvalue()


def sla_csv(found: Report) -> str:
    return _csv(found.sla, list(SlaCell.model_fields))


def rates_csv(found: Report) -> str:
    return _csv(found.rates, list(RateRow.model_fields))


def first_responders_csv(found: Report) -> str:
    return _csv(found.first_responders, list(ResponderRow.model_fields))
