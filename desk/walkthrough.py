"""`desk walkthrough`: three seed cases replayed on the shipped policies, printed as timelines.

A demonstration of the pure core until the orchestration lands (issue 4): the same
machines, policies and calendar the desk uses, with the policy filling in what
classification and resolution need (tier, policy version, revisit attempts, authority).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from policies import Policy, limit_of, shipped_policy
from policies.tracking import stage_report
from states import Complaint, fire, receive


@dataclass(frozen=True)
class Step:
    when: str
    trigger: str
    actor: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    title: str
    seed: str
    family: str
    number: str
    first_responder: str
    received: str
    channel: str
    steps: tuple[Step, ...]


STORIES = (
    Story(
        "Lift entrapment on a National Day night (物业, 紧急)", "001_068352ed8b8f0fde.txt", "property",
        "TS-2026-000101", "agent-zhou", "2026-10-02 21:40", "phone",
        (
            Step("2026-10-02 21:43", "dispatch", "agent-zhou", {"tier": "urgent", "crew": "lift technician on duty"}),
            Step("2026-10-02 21:50", "classify", "agent-zhou", {"type": "lift_entrapment"}),
            Step("2026-10-02 21:51", "assign", "agent-zhou", {"handler": "tech-wu", "department": "maintenance"}),
            Step("2026-10-02 22:20", "record_findings", "tech-wu", {"findings": "door interlock fault"}),
            Step("2026-10-03 09:30", "resolve", "tech-wu", {"resolution": "repair", "detail": "interlock replaced"}),
            Step("2026-10-03 10:00", "feed_back", "agent-zhou", {"channel": "phone"}),
            Step("2026-10-04 10:30", "record_revisit", "agent-zhou", {"outcome": "satisfied"}),
            Step("2026-10-04 10:31", "close", "agent-zhou"),
        ),
    ),
    Story(
        "Malicious harassment across the National Day break (平台, 重要)", "000_b3aee573c9b1984e.txt", "enterprise",
        "TS-2026-000104", "kf-xiao", "2026-09-30 15:00", "app",
        (
            Step("2026-09-30 15:10", "classify", "kf-xiao", {"type": "harassment", "responsibility": "third_party"}),
            Step("2026-09-30 15:20", "assign", "kf-xiao", {"handler": "pr-sun", "department": "platform_rules"}),
            Step("2026-09-30 15:30", "request_evidence", "pr-sun", {"respondent": "seller shop 7702"}),
            Step("2026-10-08 10:00", "receive_evidence", "pr-sun", {"items": ["chat screenshots", "call records"]}),
            Step("2026-10-13 11:00", "record_findings", "pr-sun", {"findings": "23 calls in one night"}),
            Step("2026-10-14 16:00", "resolve", "pr-sun", {"resolution": "penalty", "detail": "12 points"}),
            Step("2026-10-14 17:00", "feed_back", "kf-xiao", {"channel": "app"}),
            Step("2026-10-15 10:00", "record_revisit", "qa-gao", {"outcome": "satisfied"}),
            Step("2026-10-15 10:05", "close", "kf-xiao"),
        ),
    ),
    Story(
        "Cleaning late, owner unsatisfied, handled again (物业, 一般)", "001_068352ed8b8f0fde.txt", "property",
        "TS-2026-000106", "agent-li", "2026-11-23 08:30", "counter",
        (
            Step("2026-11-23 08:40", "classify", "agent-li", {"type": "cleaning_late"}),
            Step("2026-11-23 09:00", "assign", "agent-li", {"handler": "clean-zhang", "department": "environment"}),
            Step("2026-11-23 11:00", "record_findings", "clean-zhang", {"findings": "stairwell 3 not swept"}),
            Step("2026-11-24 10:00", "resolve", "clean-zhang", {"resolution": "repair", "detail": "swept"}),
            Step("2026-11-24 15:00", "feed_back", "agent-li", {"channel": "sms"}),
            Step("2026-11-25 10:00", "record_revisit", "agent-li", {"outcome": "unsatisfied"}),
            Step("2026-11-25 10:05", "reopen", "agent-li", {"reason": "floors 12-18 still dirty"}),
            Step("2026-11-25 11:00", "record_findings", "clean-zhang", {"findings": "cleaner skipped 12-18"}),
            Step("2026-11-26 09:00", "resolve", "clean-zhang", {"resolution": "repair", "detail": "all floors"}),
            Step("2026-11-26 10:00", "feed_back", "agent-li", {"channel": "phone"}),
            Step("2026-11-27 10:00", "record_revisit", "agent-li", {"outcome": "satisfied"}),
            Step("2026-11-27 10:05", "close", "agent-li"),
        ),
    ),
)


def _policy_arguments(policy: Policy, c: Complaint, step: Step) -> dict[str, Any]:
    """What the desk adds from the policy: the manager's numbers, not the agent's."""
    if step.trigger == "classify":
        tier = step.args.get("tier", policy.type(step.args["type"]).tier)
        return {"tier": tier, "responsibility": "own", "policy_version": policy.version,
                "revisit_attempts": policy.revisit_attempts(tier)}
    if step.trigger == "resolve":
        return {"authority_limit": limit_of(policy.spec.authority, "handler")}
    return {}


def replay(story: Story) -> tuple[Policy, Complaint]:
    policy = shipped_policy(story.family)
    zone = ZoneInfo(policy.spec.timezone)

    def moment(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=zone)

    c = receive(number=story.number, family=story.family, first_responder=story.first_responder,
                received_at=moment(story.received), channel=story.channel)
    for step in story.steps:
        fire(c, step.trigger, actor=step.actor, at=moment(step.when),
             **{**_policy_arguments(policy, c, step), **step.args})
    return policy, c


def show(console: Console, story: Story) -> None:
    policy, c = replay(story)
    console.rule(f"[bold]{story.number}[/] {story.title}")
    console.print(f"seed: ../shared/seeds/{story.seed} · policy {policy.family} {policy.version} · "
                  f"first responder {c.first_responder} (never changes)", highlight=False)
    timeline = Table("when", "event", "move", "by", box=None, pad_edge=False)
    for e in c.events:
        move = f"{e.source or ''} → {e.dest}" if e.source != e.dest else f"({e.dest})"
        timeline.add_row(e.at.strftime("%a %m-%d %H:%M"), e.name, move, e.actor)
    console.print(timeline)
    deadlines = Table("stage", "round", "due", "met", "", "escalations the sweep fires", box=None, pad_edge=False)
    for s in stage_report(policy, c):
        met = s.met_at.strftime("%a %m-%d %H:%M") if s.met_at else "open"
        verdict = "[green]in time[/]" if s.met_in_time else "[red]late[/]" if s.met_at else ""
        fired = [f"{step.action} {step.due_at:%m-%d %H:%M}"
                 for step in policy.ladder(c.tier or "general", s.deadline, s.started_at)
                 if s.met_at is None or step.due_at < s.met_at]
        deadlines.add_row(s.stage, str(s.round), s.due_at.strftime("%a %m-%d %H:%M"), met, verdict, ", ".join(fired))
    console.print(deadlines)
    console.print()


def run(console: Console | None = None) -> None:
    console = console or Console()
    for story in STORIES:
        show(console, story)
