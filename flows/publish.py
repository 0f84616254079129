"""What a sweep tells operations: what it fired, what its lane will fire next, and one Prefect
event per escalation or callback due, in words and numbers (never a Python dict).

Events are a mirror for automations; the desk's tables (and its outbox) are the record.
Everything here carries complaint numbers, tiers, stages and person ids, never complainants.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

from desk.lanes import Lane, Schedule
from desk.timers import ESCALATING, Fired
from flows.access import ZONE, local_second

ESCALATED = "complaint.escalated"
CALLBACK_DUE = "complaint.callback-due"
# What each fired kind is called in a sentence: `2 escalated, 1 breached`.
VERBS = {"escalation": "escalated", "stage_deadline": "breached", "evidence_deadline": "evidence window closed",
         "revisit": "callback due", "revisit_expiry": "unreached after the last callback",
         "pause_cap": "resumed after the pause cap", "promise_reminder": "promise reminder",
         "promise_due": "promise broken", "referral_due": "referral unanswered",
         "progress_due": "progress update missed", "repeat": "escalated again"}


def rows_of(fired: list[Fired]) -> list[dict[str, Any]]:
    return [
        {"complaint": f.number, "family": f.family, "tier": f.tier or "", "type": f.type or "", "stage": f.stage,
         "level": f.level, "action": f.action, "notified": ", ".join(f.notified),
         "late": _duration(int(f.late_by.total_seconds()))}
        for f in fired
    ]


def counted(fired: list[Fired]) -> str:
    """`2 escalated, 1 breached`, most frequent first; `nothing due` for an empty sweep."""
    counts = Counter(VERBS.get(f.kind, f.kind) for f in fired)
    return ", ".join(f"{n} {verb}" for verb, n in counts.most_common()) or "nothing due"


def title_of(lane: Lane, fired: list[Fired], swept_at: datetime) -> str:
    """The run's name once it is done: `urgent 19:31:28 · 2 escalated`."""
    return f"{lane.tier} {local_second(swept_at)} · {counted(fired)}"


def summary_of(lane: Lane, fired: list[Fired], swept_at: datetime, sent: int, undelivered: int) -> str:
    """One sentence for the run's log."""
    late = max((f.late_by for f in fired), default=None)
    plural = "s" if len(fired) != 1 else ""
    what = f"fired {len(fired)} timer{plural} ({counted(fired)})" if fired else "found nothing due"
    lateness = f"; the latest was {_duration(int(late.total_seconds()))} after its time" if late else ""
    failed = f", {undelivered} to retry" if undelivered else ""
    return (f"The {lane.tier} {lane.job} sweep at {local_second(swept_at)} {what}{lateness}; "
            f"{sent} notification{'s' if sent != 1 else ''} sent{failed}.")


LISTED = 500  # rows of a sweep's table artifact: a backlog after an outage is counted, not listed


def publish_sweep(lane: Lane, fired: list[Fired], swept_at: datetime) -> None:
    key = f"{lane.job}-{lane.tier}"  # escalations-urgent, callbacks-general: one history per lane
    if fired:
        more = f"; the first {LISTED} of {len(fired)} are listed" if len(fired) > LISTED else ""
        create_table_artifact(table=rows_of(fired[:LISTED]), key=key,
                              description=f"{title_of(lane, fired, swept_at)}: timers fired by this sweep{more}")
    else:
        create_markdown_artifact(markdown=f"Nothing of the {lane.tier} {lane.job} was due at "
                                          f"{local_second(swept_at)}.", key=key,
                                 description=f"{title_of(lane, fired, swept_at)}")
    for f in fired:
        if f.kind in ESCALATING or f.kind == "revisit":
            emit_event(event=ESCALATED if f.kind in ESCALATING else CALLBACK_DUE,
                       resource=resource_of(f), payload=payload_of(f))


def resource_of(f: Fired) -> dict[str, str]:
    """The complaint as an event resource. Tier, family and level are labels (strings), because
    an automation's trigger matches labels, not payloads: `tier urgent, level 2 or more`."""
    return {"prefect.resource.id": f"complaint.{f.number}", "prefect.resource.name": f.number,
            "complaint.family": f.family, "complaint.tier": f.tier or "unclassified",
            "complaint.stage": f.stage, "complaint.level": str(f.level)}


def payload_of(f: Fired) -> dict[str, Any]:
    return {"family": f.family, "tier": f.tier, "type": f.type, "stage": f.stage, "level": f.level,
            "action": f.action, "notified": list(f.notified), "due_at": f.due_at.isoformat(),
            "late_by_s": int(f.late_by.total_seconds())}


def publish_schedule(schedule: Schedule) -> None:
    """The lane's "next due" artifact: the backlog, counts due soon, and the soonest ten."""
    lane = schedule.lane
    counts = schedule.counts
    lines = [
        f"### What the {lane.tier} {lane.job} sweep will fire next ({local_second(schedule.at)})",
        "",
        "| due already | within 15 min | within 1 hour | within 1 day |",
        "|---|---|---|---|",
        f"| {schedule.overdue} | {counts['within_15_min']} | {counts['within_hour']} | {counts['within_day']} |",
        "",
    ]
    if schedule.soonest:
        lines += ["| complaint | kind | stage | level | due |", "|---|---|---|---|---|"]
        lines += [f"| {t['number']} | {t['kind']} | {t['stage']} | {t['level']} | "
                  f"{t['due_at'].astimezone(ZONE).isoformat(timespec='seconds')} |"
                  for t in schedule.soonest]
    else:
        lines.append("Nothing else is scheduled in this lane.")
    create_markdown_artifact(markdown="\n".join(lines) + "\n", key=f"next-due-{lane.job}-{lane.tier}",
                             description=f"Next due, {lane.tier} {lane.job}: {counts['within_hour']} within the hour")


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"
