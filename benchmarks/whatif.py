"""What-if: how long replaying the last 30 days of N complaints under a draft policy takes
(`desk policy whatif DRAFT --days 30`, the `policy-whatif` flow). Target: 10,000 in under 60 s.

    python -m benchmarks.whatif --n 10000 --db sqlite --json

Seeding (not timed): N property complaints received over the 30 days before `now`, of every
type, each walked through the real state machine (states.fire, with the arguments the desk's
use-cases pass) at its own varied times: most to closed, some left open at every stage, a few
reopened after an unsatisfied revisit. They are written with the repository's own bulk insert
(complaint rows, records and every event), as filing would have stored them. The draft shortens
the general tier's resolve deadline from 3 working days to 1, so outcomes do change. Timed:
`what_if(desk, draft, 30, now=...)`, reading every complaint and its events from the database
and replaying each twice (before and after).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    DATABASES,
    BenchError,
    emit,
    fail,
    fresh_database,
    machine,
    open_desk,
    peak_rss_mb,
    progress,
)
from desk.service import Desk
from desk.store.uow import UnitOfWork
from desk.whatif import what_if
from policies import Policy
from policies.policy import SHIPPED
from states import Complaint, ComplaintError, fire, receive

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
DAYS = 30
TARGET_S = 60.0
AGENT, HANDLER = "li-na", "zhang-li"
PERSON = {"name": "基准", "phone": "13800000000", "description": "楼道没有打扫"}
CHUNK = 2_000  # complaints per insert transaction
SHORTER = ("resolve: 3 working days      # 12345", "resolve: 1 working day       # 12345")


def walk(policy: Policy, number: str, rng: random.Random) -> Complaint:
    """One complaint received in the window, moved as far as its dice say, at realistic paces."""
    received = NOW - timedelta(days=DAYS) + timedelta(seconds=rng.uniform(0, DAYS * 86_400))
    c = receive(number=number, family="property", first_responder=AGENT, received_at=received, channel="phone")
    key = rng.choice(list(policy.spec.types))
    tier = policy.type(key).tier.value
    at = received

    def step(trigger: str, after: timedelta, **data: Any) -> bool:
        nonlocal at
        at = at + after
        if at > NOW:
            return False
        try:
            fire(c, trigger, actor=HANDLER if trigger in ("record_findings", "resolve") else AGENT, at=at, **data)
        except ComplaintError:
            return False
        return True

    pace = 0.1 if tier == "urgent" else 1.0  # emergencies are handled in hours, not days

    def minutes(low: float, high: float) -> timedelta:
        return timedelta(minutes=rng.uniform(low, high) * pace)

    if tier == "urgent" and not step("dispatch", minutes(20, 200), tier="urgent", crew="maintenance"):
        return c  # an urgent property complaint gets emergency dispatch before classification
    steps: list[tuple[str, timedelta, dict[str, Any]]] = [
        ("classify", minutes(2, 90), {"type": key, "tier": tier, "responsibility": "own",
                                      "policy_version": policy.version,
                                      "revisit_attempts": policy.revisit_attempts(tier)}),
        ("assign", minutes(5, 240), {"handler": HANDLER, "department": policy.type(key).route_to}),
        ("record_findings", minutes(30, 60 * 30), {"findings": "checked"}),
        ("resolve", minutes(30, 60 * 24 * 4), {"resolution": "repair", "detail": "done", "compensation": None,
                                               "authority_limit": 50}),
        ("feed_back", minutes(10, 60 * 30), {"channel": "phone"}),
    ]
    stop = rng.choices([1, 2, 3, 4, 5, 6], weights=[3, 4, 5, 6, 7, 75])[0]  # most go all the way
    for trigger, after, data in steps[:stop]:
        if not step(trigger, after, **data):
            return c
    if stop < 6:
        return c
    if rng.random() < 0.06 and not (  # unsatisfied: handled again (直到业主满意为止)
            step("record_revisit", minutes(60 * 20, 60 * 30), outcome="unsatisfied")
                and step("reopen", minutes(5, 60), reason="not fixed")
                and step("record_findings", minutes(60, 60 * 24), findings="checked again")
                and step("resolve", minutes(60, 60 * 48), resolution="repair", detail="again", compensation=None,
                         authority_limit=50)
                and step("feed_back", minutes(10, 600), channel="phone")):
        return c
    if step("record_revisit", minutes(60 * 20, 60 * 30), outcome="satisfied"):
        step("close", minutes(5, 120))
    return c


def seed(desk: Desk, n: int, bar: Any) -> tuple[int, float]:
    """N walked complaints stored as filing stores them; returns (events written, seconds)."""
    began = time.perf_counter()
    policy = desk.book.current("property")
    rng = random.Random(14)
    task = bar.add_task(f"seeding {n:,} complaints over {DAYS} days", total=n)
    events = 0
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        with UnitOfWork(desk.engine) as uow:
            numbers = uow.complaints.next_numbers(2026, size)
            walked = [walk(policy, number, rng) for number in numbers]
            uow.complaints.add_many([(c, dict(PERSON), {}) for c in walked], NOW)
            uow.commit()
        events += sum(len(c.events) for c in walked)
        bar.advance(task, size)
    return events, round(time.perf_counter() - began, 2)


def run(n: int, db: str) -> dict[str, Any]:
    bar: Any  # a rich Progress on a terminal, lines in a log
    with fresh_database(db) as url, tempfile.TemporaryDirectory(prefix="desk-whatif-") as folder, progress() as bar:
        desk = open_desk(url, NOW - timedelta(days=DAYS + 1))
        try:
            events, seed_s = seed(desk, n, bar)
            draft = Path(folder) / "property.yaml"
            text = (SHIPPED / "property.yaml").read_text(encoding="utf-8")
            if SHORTER[0] not in text:
                raise BenchError("the shipped property policy no longer has the general resolve deadline edited here")
            draft.write_text(text.replace(*SHORTER).replace('version: "2026.11-3"', 'version: "bench-draft"'),
                             encoding="utf-8")
            task = bar.add_task(f"replaying {n:,} complaints twice", total=n)
            done = [0]

            def advance(replayed: int, total: int) -> None:
                bar.advance(task, replayed - done[0])
                done[0] = replayed

            began = time.perf_counter()
            result = what_if(desk, draft, DAYS, now=NOW, progress=advance)
            replay_s = time.perf_counter() - began
        finally:
            desk.engine.dispose()
    if result.replayed != n:
        raise BenchError(f"{n} complaints were seeded but {result.replayed} replayed")
    return {"complaints": n, "events": events, "days": DAYS, "replay_s": round(replay_s, 2),
            "per_complaint_ms": round(1000 * replay_s / n, 3), "target_s": TARGET_S,
            "meets_target": replay_s < TARGET_S * n / 10_000,
            "breaches_before": result.before.breaches, "breaches_after": result.after.breaches,
            "escalations_before": result.before.escalations, "escalations_after": result.after.escalations,
            "changed": len(result.changed), "seed_s": seed_s, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.whatif", description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="complaints received in the 30 days (default 10000)")
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    try:
        if args.n < 1:
            raise BenchError("--n: give 1 or more complaints")
        result = {"machine": machine(), "whatif": {args.db: run(args.n, args.db)}}
    except BenchError as exc:
        fail(str(exc))
    emit(f"whatif-{args.db}", result, as_json=args.json)


if __name__ == "__main__":
    main()
