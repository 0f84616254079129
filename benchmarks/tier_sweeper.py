"""One tier's sweeper on its schedule, as its served deployment runs it (driven by
benchmarks/tiers.py over stdin/stdout; not meant to be run by hand).

    python -m benchmarks.tier_sweeper --url URL --tier urgent --every 15

Opens the desk, prints "ready", waits for a line "go <start>" (a Unix time), then sweeps the
tier's escalations lane at start, start + every, start + 2 × every ... on the real clock, as
the flow `escalations/<tier>` does (flows/sweep.py, without Prefect): fire what is due at the
clock's `now` (limit 100,000 in batches of 200, deployments/serve.py), deliver the tier's
notices (to a notifier that discards them), read what is due next. One sweep at a time: one
that overruns the next slot is followed at once by a single catch-up sweep. A failed sweep
(the database busy or gone) is reported and the next slot is kept, as a failed flow run is.
A line "stop" (or the end of stdin) ends it after the sweep in progress.

Prints one JSON line per sweep (`now` is the moment passed to `fire_due_timers`, which the desk
writes as the timers' `fired_at`; `fired_by` the Unix time the firing returned, every batch
committed) and a last line with the totals.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import fail, open_desk, peak_rss_mb
from benchmarks.sweeper import DiscardingNotifier
from desk.errors import DeskError
from desk.lanes import TIERS, Lane
from desk.service import Desk

LIMIT, BATCH = 100_000, 200  # what the deployments pass (deployments/serve.py SWEEP_PARAMETERS)


def sweep_once(desk: Desk, lane: Lane, notifier: DiscardingNotifier, limit: int, batch: int) -> dict[str, Any]:
    """One run of the lane's flow: fire, deliver, look ahead. Times are Unix times."""
    now = datetime.now(UTC)
    line: dict[str, Any] = {"now": now.isoformat(), "started": now.timestamp(), "fired": 0, "error": None}

    def committed(fired: int) -> None:  # after each batch's commit: a failed sweep keeps what it saved
        line["fired"] = fired

    try:
        try:
            desk.fire_due_timers(now, limit=limit, batch=batch, progress=committed, lanes=[lane], office_hours=True)
        finally:
            line["fired_by"] = time.time()
        desk.deliver_notifications(notifier, datetime.now(UTC), tiers=[lane.tier])
        desk.scheduled(lane, datetime.now(UTC))
    except DeskError as error:  # the flow fails the run with the sentence; the schedule goes on
        line["error"] = str(error).splitlines()[0][:300]
    line["ended"] = time.time()
    return line


def serve(desk: Desk, lane: Lane, every: float, start: float, stop: threading.Event, limit: int,
          batch: int) -> dict[str, Any]:
    notifier = DiscardingNotifier()
    totals: dict[str, Any] = {"tier": lane.tier, "sweeps": 0, "fired": 0, "failed": 0, "errors": []}
    slot = 0
    while not stop.wait(max(0.0, start + slot * every - time.time())):
        line = sweep_once(desk, lane, notifier, limit, batch)
        line["sweep"] = totals["sweeps"]
        print(json.dumps(line), flush=True)
        totals["sweeps"] += 1
        totals["fired"] += line["fired"]
        if line["error"]:
            totals["failed"] += 1
            if line["error"] not in totals["errors"] and len(totals["errors"]) < 3:
                totals["errors"].append(line["error"])
        # The first slot after this sweep began: passed already if the sweep overran it.
        slot = int((line["started"] - start) // every) + 1
    return totals


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tier_sweeper", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the loaded database")
    parser.add_argument("--tier", required=True, choices=TIERS)
    parser.add_argument("--every", required=True, type=float, help="seconds between sweeps (the tier's schedule)")
    parser.add_argument("--limit", type=int, default=LIMIT, help="timers per sweep (as the deployment)")
    parser.add_argument("--batch", type=int, default=BATCH, help="timers per transaction")
    args = parser.parse_args(argv)
    if args.every <= 0:
        fail("--every: give a positive number of seconds")
    desk = open_desk(args.url, datetime.now(UTC))
    print("ready", flush=True)
    words = sys.stdin.readline().split()
    if len(words) != 2 or words[0] != "go":
        return  # the benchmark gave up before starting us
    stop = threading.Event()

    def wait_for_stop() -> None:
        for said in sys.stdin:
            if said.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    totals = serve(desk, Lane(args.tier, "escalations"), args.every, float(words[1]), stop, args.limit, args.batch)
    totals.update(done=True, peak_rss_mb=peak_rss_mb())
    desk.engine.dispose()
    print(json.dumps(totals), flush=True)


if __name__ == "__main__":
    main()
