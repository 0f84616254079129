"""Handlers racing over the same complaints, in separate processes: no update is lost, every
state change has its event and every event its state change, and the loser of a race is
told so (a conflict naming the complaint), with the refusal on the complaint's record."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import open_desk
from tests.integration.test_crashes import FILED, ROOT, _env
from tests.integration.workers import ROUNDS
from tests.support import at

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HANDLERS = 4
COMPLAINTS = 12
PERSON = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}


def _reports_until_read(worker: subprocess.Popen[str]) -> list[dict[str, Any]]:
    assert worker.stdout is not None
    reports = []
    for line in worker.stdout:
        if line.strip() == "read":
            return reports
        reports.append(json.loads(line))
    raise AssertionError(f"a handler stopped before reading its board: {worker.communicate()[1]}")


def test_handlers_racing_over_the_same_complaints_lose_no_update(database_url: str, tmp_path: Path) -> None:
    desk = open_desk(database_url, tmp_path)
    numbers = []
    for _ in range(COMPLAINTS):
        number = desk.file(actor="li-na", now=FILED, family="property", complainant=PERSON).number
        desk.classify(number, actor="li-na", now=FILED, type="cleaning_late")
        desk.assign(number, actor="li-na", now=FILED, handler="zhang-li")
        numbers.append(number)
    desk.engine.dispose()

    started = at("2026-11-23 10:00").isoformat()
    workers = [subprocess.Popen([sys.executable, "-m", "tests.integration.workers", "handle", database_url,
                                 str(tmp_path), started, f"h{i}", *numbers], cwd=ROOT, env=_env(tmp_path, database_url),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(HANDLERS)]
    reports: list[dict[str, Any]] = []
    for _ in range(ROUNDS):
        for worker in workers:  # until each has read this round's board (its reports come first)
            reports += _reports_until_read(worker)
        for worker in workers:  # then all act on what they read
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
    for worker in workers:
        out, errors = worker.communicate(timeout=600)
        assert worker.returncode == 0, errors
        reports += [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    saved: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for report in reports:
        if report["saved"]:
            saved[report["number"]].append(report)
    refused = [r for r in reports if not r["saved"]]
    desk = open_desk(database_url, tmp_path)
    lost = mismatched = 0
    with desk.reading() as uow:
        for number in numbers:
            loaded = uow.complaints.get(number)
            stored = uow.complaints.events(loaded.id)
            ours = [e for e in stored if e["actor"] == "zhang-li"]
            # No lost update: each save a handler was told of is one stored event, and the
            # versions the winners were given are all different.
            lost += len(saved[number]) != len(ours)
            lost += len({r["version"] for r in saved[number]}) != len(saved[number])
            # Event <=> state: the record's history is the events table, and its state and
            # version follow from it.
            mismatched += [e["name"] for e in stored] != [e.name for e in loaded.complaint.events]
            mismatched += stored[-1]["dest"] != loaded.complaint.status or loaded.version != len(stored)
        recorded = sum(len(uow.refusals.of(uow.complaints.get(n).id)) for n in numbers)
        final = Counter(uow.complaints.get(n).complaint.status for n in numbers)
    desk.engine.dispose()
    kinds = Counter(r["error"] for r in refused)
    print(f"\n{HANDLERS} handler processes, {COMPLAINTS} shared complaints: {len(reports)} attempts, "
          f"{sum(map(len, saved.values()))} saved, {len(refused)} refused {dict(kinds)}, {recorded} refusals on "
          f"record; lost updates {lost}, event/state mismatches {mismatched}; final states {dict(final)}")
    assert lost == 0 and mismatched == 0
    assert final == {"resolved": COMPLAINTS}  # every complaint got all the way, once
    assert kinds["ConcurrentUpdate"] > 0, "the handlers never collided: the race did not happen"
    assert all(r["number"] in r["reason"] for r in refused)  # the loser is told which complaint
    assert recorded == len(refused)
