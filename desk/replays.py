"""What-if replays asked from the console and run as the `policy-whatif` Prefect flow: a long
replay does not hold a web request; the page watches the row the flow moves forward.

    ask(...)     the request, stored (queued), the draft checked first
    run(...)     what the flow does: replay, progress on the row, the result stored
    read(...)    the page's view: status, progress, the result once done
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from desk.errors import DeskError, NotFound
from desk.store import replays as rows
from desk.store.uow import UnitOfWork
from desk.views import View
from desk.whatif import WhatIf, what_if
from policies import Policy, PolicyError, parse_policy

if TYPE_CHECKING:
    from desk.service import Desk

PROGRESS_EVERY = 0.02  # of the complaints: a few dozen row updates a run, not one per batch


class Replay(View):
    id: int
    family: str
    days: int
    requested_by: str
    requested_at: datetime
    status: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    flow_run_id: str | None
    finished_at: datetime | None
    error: str | None
    result: WhatIf | None = Field(description="once done: counts and complaint numbers only")

    @property
    def percent(self) -> int:
        return 100 if self.status == "done" else int(100 * self.done / self.total) if self.total else 0


def ask(desk: Desk, family: str, draft: str, days: int, *, actor: str, now: datetime) -> int:
    """Stores a replay to run; the draft is checked now, so a mistake is shown at its line at once."""
    _may_replay(desk, actor)
    policy = Policy(parse_policy(draft, f"draft of the {family} policy"), "draft")
    if str(policy.family) != family:
        raise DeskError(f"family: this draft is a {policy.family} policy, not {family}")
    with UnitOfWork(desk.engine) as uow:
        replay_id = rows.add(uow.connection, family=family, days=days, draft=draft, requested_by=actor,
                             requested_at=now)
        uow.commit()
    return replay_id


def started(desk: Desk, replay_id: int, run_id: str) -> None:
    """Keeps the Prefect run that will do it, for the page to link to."""
    with UnitOfWork(desk.engine) as uow:
        rows.change(uow.connection, replay_id, flow_run_id=run_id)
        uow.commit()


def run(desk: Desk, replay_id: int, *, now: datetime, run_id: str | None = None,
        progress: Callable[[int, int], None] | None = None) -> WhatIf:
    """Replays the stored draft, moving the row forward as it goes; a failure is kept on the row."""
    with desk.reading() as uow:
        asked = rows.get(uow.connection, replay_id)
    if asked is None:
        raise NotFound(f"no what-if replay #{replay_id}")
    _set(desk, replay_id, status="running", flow_run_id=run_id or asked["flow_run_id"])
    marked = {"done": -1}

    def moved(done: int, total: int) -> None:
        if done == total or done - marked["done"] >= max(1, int(total * PROGRESS_EVERY)):
            marked["done"] = done
            _set(desk, replay_id, done=done, total=total)
        if progress:
            progress(done, total)

    try:
        draft = Policy(parse_policy(asked["draft"], f"draft of the {asked['family']} policy"), "draft")
        result = what_if(desk, draft, asked["days"], now=now, progress=moved)
    except (DeskError, PolicyError) as error:
        _set(desk, replay_id, status="failed", error=str(error), finished_at=now)
        raise
    _set(desk, replay_id, status="done", finished_at=now, done=result.replayed, total=result.replayed,
         result=result.model_dump(mode="json"))
    return result


def read(desk: Desk, replay_id: int, *, reader: str) -> Replay:
    _may_replay(desk, reader)
    with desk.reading() as uow:
        found = rows.get(uow.connection, replay_id)
    if found is None:
        raise NotFound(f"no what-if replay #{replay_id}")
    found.pop("draft")
    return Replay.model_validate(found)


def _set(desk: Desk, replay_id: int, **values: object) -> None:
    with UnitOfWork(desk.engine) as uow:
        rows.change(uow.connection, replay_id, **values)
        uow.commit()


def _may_replay(desk: Desk, person: str) -> None:
    desk.directory.check_holds(person, "manage_policies", "replay draft policies")
