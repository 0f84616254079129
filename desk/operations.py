"""The operations read model: what the escalation sweeps will fire in the next hour and day, by
tier and level, and what they fired today, each escalation linked to the Prefect flow run that
fired it. Numbers, tiers, levels and run ids only.

Linking is pure (`prefect_ui_base`, `flow_run_link`): the UI's address comes from the
environment the desk runs in (PREFECT_UI_URL, else PREFECT_API_URL without its `/api`, else the
local server `desk up` starts), never from Prefect itself, which this module does not import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import Field

from desk.lanes import LANES, TIERS
from desk.prefect_server import PrefectServer
from desk.store import ops_queries
from desk.views import View
from states import Family

if TYPE_CHECKING:
    from desk.service import Desk

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class ScheduledCount(View):
    tier: str
    kind: str = Field(description="escalation (a ladder step), stage_deadline (the breach) or evidence_deadline")
    level: int = Field(description="the ladder level; 0 for a stage deadline or an evidence window")
    due_now: int = Field(description="already due: the lane's next sweep fires them")
    within_hour: int = Field(description="falling due in the next hour")
    within_day: int = Field(description="falling due in the next 24 hours (the hour included)")


class Scheduled(View):
    at: datetime
    rows: list[ScheduledCount] = Field(description="urgent first, then by level")


class FiredEscalation(View):
    number: str
    family: str
    tier: str = Field(description="the lane that fired it")
    kind: str
    stage: str
    level: int
    action: str = Field(description="the ladder's action, `breached` for a stage deadline, or the evidence outcome")
    due_at: datetime
    fired_at: datetime
    run_id: str | None = Field(description="the Prefect flow run that fired it; none when fired by `desk sweep`")
    run_url: str | None = Field(description="that run's page in the Prefect UI")


class FiredToday(View):
    since: dict[str, datetime] = Field(description="the start of today in each family's policy zone")
    total: int
    rows: list[FiredEscalation] = Field(description="newest first, up to the limit asked")


def prefect_ui_base(env: Mapping[str, str]) -> str:
    """The Prefect UI's address: PREFECT_UI_URL, else PREFECT_API_URL without its `/api`, else the
    local server's (`desk up`)."""
    ui = env.get("PREFECT_UI_URL", "").strip()
    if ui:
        return ui.rstrip("/")
    api = env.get("PREFECT_API_URL", "").strip().rstrip("/")
    if api:
        return api.removesuffix("/api")
    return PrefectServer(Path(".")).ui_url  # only its address is read: nothing is started


def flow_run_link(base: str, run_id: str | None) -> str | None:
    """`{base}/runs/flow-run/{id}`, for a run id that is a UUID (anything else links nowhere: the
    column is written by sweeps, but a link is built only from what it should hold)."""
    if not run_id:
        return None
    try:
        run = UUID(run_id)
    except ValueError:
        return None
    return f"{base.rstrip('/')}/runs/flow-run/{run}"


def start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of `now`'s date in `zone`, as an aware moment."""
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def scheduled(desk: Desk, now: datetime, *, reader: str | None = None) -> Scheduled:
    """What the escalation sweeps will fire: per tier, kind and level, the backlog already due and
    what falls due within the hour and the day. A `reader` must be staff."""
    if reader is not None:
        desk.directory.require_staff(reader, "read the escalations scheduled")
    rows: list[ScheduledCount] = []
    for lane in (lane for lane in LANES if lane.job == "escalations"):
        with desk.reading() as uow:
            found = ops_queries.scheduled_by_level(uow.connection, lane, now, now + HOUR, now + DAY)
        rows += [ScheduledCount(tier=lane.tier, **row) for row in found]
    return Scheduled(at=now, rows=sorted(rows, key=lambda r: (TIERS.index(r.tier), r.level, r.kind)))


def fired_today(desk: Desk, now: datetime, ui_base: str, limit: int = 500, *,
                reader: str | None = None) -> FiredToday:
    """Escalations, breaches and evidence windows fired since midnight in each family's zone,
    newest first, each with the run that fired it and a link to that run (`ui_base`: see
    prefect_ui_base). A `reader` must be staff."""
    if reader is not None:
        desk.directory.require_staff(reader, "read the escalations fired")
    since = {family.value: start_of_day(now, desk.zone_of(family.value)) for family in Family}
    with desk.reading() as uow:
        found, total = ops_queries.fired_since(uow.connection, since, limit=limit)
    return FiredToday(since=since, total=total, rows=[
        FiredEscalation(number=r["number"], family=r["family"], tier=r["tier"], kind=r["kind"], stage=r["stage"],
                        level=r["level"], action=_action(r["kind"], r["detail"] or {}), due_at=r["due_at"],
                        fired_at=r["fired_at"], run_id=r["fired_by_run"],
                        run_url=flow_run_link(ui_base, r["fired_by_run"]))
        for r in found])


def _action(kind: str, detail: Mapping[str, Any]) -> str:
    """What firing it did, as desk.timers.fire_timer names it."""
    if "action" in detail:  # a rung, a repeat, a promise, a referral, a progress update
        return str(detail["action"])
    if kind == "evidence_deadline":
        return str(detail.get("on_expiry", kind))
    return "breached" if kind == "stage_deadline" else kind
