"""What a sweep tells operations: a table artifact and one Prefect event per escalation.

Events are a mirror for automations; the desk's tables (and its outbox) are the record.
"""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

from desk.timers import Fired

ESCALATED = "complaint.escalated"


def rows_of(fired: list[Fired]) -> list[dict[str, Any]]:
    return [
        {"complaint": f.number, "family": f.family, "tier": f.tier or "", "type": f.type or "", "stage": f.stage,
         "level": f.level, "action": f.action, "notified": ", ".join(f.notified),
         "late": _duration(int(f.late_by.total_seconds()))}
        for f in fired
    ]


def publish_sweep(fired: list[Fired], swept_at: str) -> None:
    if fired:
        create_table_artifact(table=rows_of(fired), key="escalation-sweep",
                              description=f"Timers fired by the sweep at {swept_at}: {len(fired)}")
    else:
        create_markdown_artifact(markdown=f"Nothing was due at {swept_at}.", key="escalation-sweep",
                                 description=f"Sweep at {swept_at}: nothing due")
    for f in fired:
        if f.kind != "escalation":
            continue
        emit_event(
            event=ESCALATED,
            resource={"prefect.resource.id": f"complaint.{f.number}", "prefect.resource.name": f.number},
            payload={"family": f.family, "tier": f.tier, "type": f.type, "stage": f.stage, "level": f.level,
                     "action": f.action, "late_by_s": int(f.late_by.total_seconds())},
        )


def _duration(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"
