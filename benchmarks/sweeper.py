"""One sweeper process, driven by a benchmark over stdin/stdout (not meant to be run by hand).

    python -m benchmarks.sweeper --url URL --now 2026-11-26T03:48:00+00:00

Opens the desk, prints "ready", waits for a line "go" (so start-up is not timed, and several
sweepers can be released together), then: fires every due timer as the scheduled sweep does
(`fire_due_timers` until it returns nothing; timed), delivers the notifications owed (timed
apart), and times the sweep that finds nothing to do. Prints one JSON object on stdout. Its own process,
so `peak_rss_mb` is the sweeper's alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime

from benchmarks.common import current_rss_mb, fail, open_desk, peak_rss_mb
from desk.notify import Notification
from desk.service import Desk

EMPTY_RUNS = 20


class DiscardingNotifier:
    """Delivery is not what is measured: accept everything, send nothing."""

    def send(self, notification: Notification) -> None:
        pass


def fire_all(desk: Desk, now: datetime, limit: int, batch: int) -> int:
    fired = 0
    while True:
        done = desk.fire_due_timers(now, limit=limit, batch=batch)
        if not done:
            return fired
        fired += len(done)


def deliver_all(desk: Desk, now: datetime, notifier: DiscardingNotifier) -> int:
    sent = 0
    while True:
        delivery = desk.deliver_notifications(notifier, now)
        if not delivery.sent and not delivery.failed:
            return sent
        sent += len(delivery.sent)


def empty_sweep_ms(desk: Desk, now: datetime, notifier: DiscardingNotifier) -> float:
    """The cost of a scheduled sweep when nothing is due: what runs every 30 seconds forever."""
    runs = []
    for _ in range(EMPTY_RUNS):
        began = time.perf_counter()
        desk.fire_due_timers(now)
        desk.deliver_notifications(notifier, now)
        runs.append(time.perf_counter() - began)
    return round(statistics.median(runs) * 1000, 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweeper", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the loaded database")
    parser.add_argument("--now", required=True, type=datetime.fromisoformat, help="the sweep's moment (ISO, aware)")
    parser.add_argument("--limit", type=int, default=10_000, help="timers per fire_due_timers call (as the flow)")
    parser.add_argument("--batch", type=int, default=200, help="timers per transaction")
    parser.add_argument("--fire-only", action="store_true",
                        help="stop after firing: no delivery, no empty sweeps (scale-out needs only the firing)")
    args = parser.parse_args(argv)
    if args.now.tzinfo is None:
        fail("--now: give a time zone (e.g. +00:00)")
    desk = open_desk(args.url, args.now)
    baseline = current_rss_mb()
    notifier = DiscardingNotifier()
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return  # the benchmark gave up before starting us
    started, began = time.time(), time.perf_counter()
    fired = fire_all(desk, args.now, args.limit, args.batch)
    fire_s = time.perf_counter() - began
    ended = time.time()
    result = {"fired": fired, "fire_s": round(fire_s, 3), "started": started, "ended": ended}
    if not args.fire_only:
        began = time.perf_counter()
        result["delivered"] = deliver_all(desk, args.now, notifier)
        result["deliver_s"] = round(time.perf_counter() - began, 3)
        result["empty_sweep_ms"] = empty_sweep_ms(desk, args.now, notifier)
    result.update(peak_rss_mb=peak_rss_mb(), baseline_rss_mb=baseline)
    desk.engine.dispose()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
