"""API: a working day's mix of requests from concurrent clients against `desk serve` (uvicorn,
1 and 2 workers), against the floor: the same operations through the desk's use-cases in this
process, with the same mix and the same number of concurrent clients (threads).

    python -m benchmarks.api --db sqlite [--clients 8] [--requests 2000] [--max-seconds 60]
                             [--workers 1,2] [--seed 210] [--quick] [--json]

Each configuration gets a fresh database of its own, seeded alike (not timed): `seed`
complaints spread evenly over the steps of the walk below, and a token for each person. Then
`clients` clients share a budget of `requests` operations, bounded by `max-seconds` too, each
drawing its next operation at random (the same seeds in every configuration):

- 30% intake: `POST /complaints` with an Idempotency-Key (one in twenty a retry of an earlier
  key of the client's, which the desk answers as a replay);
- 30% verbs: the next step of a complaint picked at random among the open ones (classify,
  assign, findings, resolve, feed-back, revisit, close) with If-Match: the version last seen.
  Two clients that pick the same complaint at once race: one wins, the other gets 412;
- 40% reads: `GET /complaints/{number}` (20%), `GET /complaints?limit=20` (10%), `GET /tasks` (10%).

Over HTTP the clients are httpx clients on loopback (127.0.0.1), one keep-alive connection
each, with the bearer token of the person acting. In-process they call `Desk.file`,
`Desk.receipt`, the verb table's use-cases (desk.verbs), `read_complaint`, `list_complaints`
and `tasks` on one opened desk, as the routes do. Any answer but a success, a replay, 409 or
412 is an error. Afterwards the database must show what the clients were told: the complaints
filed, one version per accepted step, one refusal per 409/412 of a verb, or the run fails.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import DATABASES, BenchError, emit, fail, fresh_database, machine, open_desk, percentile
from benchmarks.sweep import ROOT
from desk.api.complaints import scoped
from desk.api.problems import status_of
from desk.errors import DeskError
from desk.service import Desk
from desk.tokens import Tokens
from desk.verbs import BY_NAME
from desk.views import Filters
from states import ComplaintError

HOST = "127.0.0.1"  # loopback only: nothing here listens beyond this machine
KINDS = ("intake", "verb", "show", "list", "tasks")
MIX = (("intake", 0.30), ("verb", 0.30), ("show", 0.20), ("list", 0.10), ("tasks", 0.10))
REPLAY_SHARE = 0.05  # of intakes: a retry of an earlier key (the answer lost on the way, say)
AGENTS = ("li-na", "zhou-tao", "xiao-yu")
HANDLERS = ("zhang-li", "he-ping")  # both in the environment department, where cleaning goes
ISSUER = "ma-jing"  # a general manager: may issue tokens
LIST_LIMIT = 20
TARGET_RATIO = 0.7  # API with one worker / in-process: reported, never asserted
SIZES = {
    "default": {"clients": 8, "requests": 2_000, "max_seconds": 60.0, "seed": 210},
    "quick": {"clients": 4, "requests": 200, "max_seconds": 20.0, "seed": 21},
}
FORM = {"family": "property", "channel": "phone", "name": "基准测试", "phone": "13800000000",
        "description": "楼道没有打扫", "request": "打扫"}
COMPLAINANT = ("name", "phone", "email", "address", "description", "request")


@dataclass(frozen=True)
class Step:
    verb: str
    by: str  # "agent" (the complaint's first responder) or "handler"
    body: Callable[[str], dict[str, Any]]  # from the complaint's handler


# The property path of a cleaning complaint, receipt to closed (as benchmarks/lifecycle.py).
WALK: tuple[Step, ...] = (
    Step("classify", "agent", lambda h: {"type": "cleaning_late"}),
    Step("assign", "agent", lambda h: {"handler": h}),
    Step("findings", "handler", lambda h: {"text": "stairwell 3 skipped"}),
    Step("resolve", "handler", lambda h: {"resolution": "repair", "detail": "swept"}),
    Step("feed-back", "agent", lambda h: {"channel": "sms"}),
    Step("revisit", "agent", lambda h: {"outcome": "satisfied"}),
    Step("close", "agent", lambda h: {}),
)


# -- what the clients know of the complaints ------------------------------------------------
@dataclass
class Case:
    number: str
    agent: str
    handler: str
    step: int  # index into WALK of the next step; len(WALK) once closed
    version: int


class Ledger:
    """The complaints the clients know, shared between them: every one (for reads) and the open
    ones (for verbs), with the step and version last seen."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.numbers: list[str] = []
        self.agents: dict[str, str] = {}
        self.open: list[Case] = []
        self.where: dict[str, int] = {}  # number -> index in open

    def add(self, case: Case) -> None:
        with self.lock:
            self.numbers.append(case.number)
            self.agents[case.number] = case.agent
            if case.step < len(WALK):
                self.where[case.number] = len(self.open)
                self.open.append(case)

    def pick_open(self, rng: random.Random) -> Case | None:
        """A copy of a random open complaint as last seen."""
        with self.lock:
            if not self.open:
                return None
            found = self.open[rng.randrange(len(self.open))]
            return Case(found.number, found.agent, found.handler, found.step, found.version)

    def pick_any(self, rng: random.Random) -> tuple[str, str] | None:
        with self.lock:
            if not self.numbers:
                return None
            number = self.numbers[rng.randrange(len(self.numbers))]
            return number, self.agents[number]

    def advanced(self, number: str, step: int, version: int) -> None:
        """A step was taken: the complaint is now at `version`, its next step `step + 1`."""
        with self.lock:
            index = self.where.get(number)
            if index is None:
                return
            case = self.open[index]
            if version <= case.version:
                return
            case.step, case.version = step + 1, version
            if case.step >= len(WALK):  # closed: out of the verbs' reach, still readable
                last = self.open.pop()
                if last is not case:
                    self.open[index] = last
                    self.where[last.number] = index
                del self.where[number]


# -- the two doors --------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int  # HTTP status; the in-process door says what the API would have
    number: str | None = None
    version: int | None = None
    detail: str = ""


class Door(Protocol):
    def connect(self) -> None: ...
    def intake(self, agent: str, key: str) -> Answer: ...
    def verb(self, person: str, number: str, verb: str, body: dict[str, Any], version: int) -> Answer: ...
    def show(self, person: str, number: str) -> Answer: ...
    def listing(self, person: str) -> Answer: ...
    def tasks(self, person: str) -> Answer: ...
    def close(self) -> None: ...


class HttpDoor:
    """One client of the API: a keep-alive connection and the bearer token of whoever acts."""

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.url = url
        self.client = httpx.Client(base_url=f"{url}/api/v1", timeout=30)
        self.auth = {person: {"Authorization": f"Bearer {token}"} for person, token in tokens.items()}

    def connect(self) -> None:
        """Opens the connection (a 404 outside the API: no token, no database)."""
        try:
            self.client.get(f"{self.url}/")
        except httpx.HTTPError as error:
            raise BenchError(f"the API at {self.url} does not answer: {error}") from error

    def _send(self, method: str, path: str, person: str, **kw: Any) -> httpx.Response | Answer:
        headers = {**self.auth[person], **kw.pop("headers", {})}
        try:
            return self.client.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as error:
            return Answer(0, detail=f"{type(error).__name__}: {error}")

    @staticmethod
    def _answer(got: httpx.Response | Answer, version: bool = False) -> Answer:
        if isinstance(got, Answer):
            return got
        if got.status_code >= 300:
            return Answer(got.status_code, detail=got.text[:300])
        return Answer(got.status_code, version=got.json()["version"] if version else None)

    def intake(self, agent: str, key: str) -> Answer:
        got = self._send("POST", "/complaints", agent, json=FORM, headers={"Idempotency-Key": key})
        if isinstance(got, httpx.Response) and got.status_code in (200, 201):
            return Answer(got.status_code, number=got.json()["number"], version=1)
        return self._answer(got)

    def verb(self, person: str, number: str, verb: str, body: dict[str, Any], version: int) -> Answer:
        return self._answer(self._send("POST", f"/complaints/{number}/{verb}", person, json=body,
                                       headers={"If-Match": f'"{version}"'}), version=True)

    def show(self, person: str, number: str) -> Answer:
        return self._answer(self._send("GET", f"/complaints/{number}", person))

    def listing(self, person: str) -> Answer:
        return self._answer(self._send("GET", "/complaints", person, params={"limit": LIST_LIMIT}))

    def tasks(self, person: str) -> Answer:
        return self._answer(self._send("GET", "/tasks", person))

    def close(self) -> None:
        self.client.close()


class DeskDoor:
    """The same operations through the desk's use-cases, as the routes call them."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def connect(self) -> None:
        return None

    def _guarded(self, work: Callable[[], Answer]) -> Answer:
        try:
            return work()
        except (DeskError, ComplaintError) as refusal:
            return Answer(status_of(refusal), detail=str(refusal)[:300])
        except Exception as error:  # what the API would answer with a 500
            return Answer(500, detail=f"{type(error).__name__}: {error}"[:300])

    def intake(self, agent: str, key: str) -> Answer:
        def work() -> Answer:
            complainant = {k: FORM.get(k) for k in COMPLAINANT}
            filed = self.desk.file(actor=agent, now=datetime.now(UTC), family=FORM["family"], complainant=complainant,
                                   channel=FORM["channel"], key=scoped(agent, key), details={})
            self.desk.receipt(filed.number)
            return Answer(201 if filed.created else 200, number=filed.number, version=1)
        return self._guarded(work)

    def verb(self, person: str, number: str, verb: str, body: dict[str, Any], version: int) -> Answer:
        def work() -> Answer:
            chosen = BY_NAME[verb]
            outcome = chosen.call(self.desk, number, chosen.body(**body), actor=person, now=datetime.now(UTC),
                                  expected_version=version)
            return Answer(200, version=outcome.version)
        return self._guarded(work)

    def show(self, person: str, number: str) -> Answer:
        def work() -> Answer:
            self.desk.read_complaint(number, datetime.now(UTC), reader=person, via="api")
            return Answer(200)
        return self._guarded(work)

    def listing(self, person: str) -> Answer:
        def work() -> Answer:
            self.desk.list_complaints(Filters.checked(limit=LIST_LIMIT), datetime.now(UTC), reader=person)
            return Answer(200)
        return self._guarded(work)

    def tasks(self, person: str) -> Answer:
        def work() -> Answer:
            self.desk.tasks(person, datetime.now(UTC))
            return Answer(200)
        return self._guarded(work)

    def close(self) -> None:
        return None


# -- the clients ----------------------------------------------------------------------------
@dataclass
class Tally:
    """What one client did: latencies per kind of what succeeded, and every other answer."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: {kind: {} for kind in KINDS})
    created: int = 0
    replayed: int = 0
    steps: int = 0  # verbs accepted
    errors: list[dict[str, Any]] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0


def choose(rng: random.Random) -> str:
    draw, total = rng.random(), 0.0
    for kind, share in MIX:
        total += share
        if draw < total:
            return kind
    return MIX[-1][0]


def client(door: Door, ledger: Ledger, index: int, seed: int, tickets: Callable[[], bool],
           start: threading.Barrier) -> Tally:
    rng = random.Random(seed * 1_000 + index)
    agent, handler = AGENTS[index % len(AGENTS)], HANDLERS[index % len(HANDLERS)]
    sent: list[str] = []  # this client's idempotency keys, for its retries
    tally = Tally()
    start.wait()
    tally.began = time.perf_counter()
    try:
        while tickets():
            kind = choose(rng)
            case = ledger.pick_open(rng) if kind == "verb" else None
            if kind == "verb" and case is None:
                kind = "intake"  # nothing open yet: a day starts with intake
            began = time.perf_counter()
            if kind == "intake":
                replay = bool(sent) and rng.random() < REPLAY_SHARE
                key = rng.choice(sent) if replay else uuid.UUID(int=rng.getrandbits(128)).hex
                answer = door.intake(agent, key)
            elif kind == "verb":
                assert case is not None
                step = WALK[case.step]
                person = case.agent if step.by == "agent" else case.handler
                answer = door.verb(person, case.number, step.verb, step.body(case.handler), case.version)
            elif kind == "show":
                picked = ledger.pick_any(rng)
                assert picked is not None  # seeded
                answer = door.show(picked[1], picked[0])
            elif kind == "list":
                answer = door.listing(agent)
            else:
                answer = door.tasks(handler)
            spent = time.perf_counter() - began
            counts = tally.statuses[kind]
            counts[answer.status] = counts.get(answer.status, 0) + 1
            if answer.status in (200, 201):
                tally.latencies[kind].append(spent)
            elif answer.status not in (409, 412) or kind != "verb":
                if len(tally.errors) < 5:
                    tally.errors.append({"kind": kind, "status": answer.status, "detail": answer.detail})
                continue
            if kind == "intake" and answer.number is not None:
                if answer.status == 201:
                    tally.created += 1
                    sent.append(key)
                    ledger.add(Case(answer.number, agent, handler, 0, answer.version or 1))
                else:
                    tally.replayed += 1
            elif kind == "verb" and answer.status == 200:
                assert case is not None and answer.version is not None
                tally.steps += 1
                ledger.advanced(case.number, case.step, answer.version)
    finally:
        tally.ended = time.perf_counter()
        door.close()
    return tally


def drive(doors: list[Door], ledger: Ledger, requests: int, max_seconds: float, seed: int) -> list[Tally]:
    """The clients, one thread each, released together; they stop when the budget of requests
    is spent or the time is up, whichever comes first."""
    counter = itertools.count()
    lock = threading.Lock()
    start = threading.Barrier(len(doors) + 1)
    deadline: list[float] = []

    def tickets() -> bool:
        with lock:
            return next(counter) < requests and time.monotonic() < deadline[0]

    results: list[Tally | BaseException] = [BenchError("a client did not finish")] * len(doors)

    def run(i: int) -> None:
        try:
            results[i] = client(doors[i], ledger, i, seed, tickets, start)
        except BaseException as error:  # reported below, after the others finished
            results[i] = error

    for door in doors:
        # One after the other: connections opened all at once land on whichever worker wakes
        # first (asyncio accepts every pending one), not spread as a day's arrivals would be.
        door.connect()
        time.sleep(0.01)
    threads = [threading.Thread(target=run, args=(i,), name=f"bench-client-{i}") for i in range(len(doors))]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + max_seconds)
    start.wait(timeout=60)  # a client that never got ready breaks the barrier for all
    for thread in threads:
        thread.join(max_seconds + 120)  # each request has a 30 s timeout: a stuck client cannot hang the run
    tallies = []
    for thread, result in zip(threads, results, strict=True):
        if thread.is_alive() or isinstance(result, BaseException):
            raise BenchError(f"a client failed: {result!r}")
        tallies.append(result)
    return tallies


def summary(tallies: list[Tally], requests: int) -> dict[str, Any]:
    began, ended = min(t.began for t in tallies), max(t.ended for t in tallies)
    duration = ended - began
    done = sum(sum(t.statuses[kind].values()) for t in tallies for kind in KINDS)
    by_kind: dict[str, Any] = {}
    for kind in KINDS:
        latencies = sorted(x for t in tallies for x in t.latencies[kind])
        statuses: dict[int, int] = {}
        for t in tallies:
            for status, n in t.statuses[kind].items():
                statuses[status] = statuses.get(status, 0) + n
        by_kind[kind] = {"requests": sum(statuses.values()), "ok": len(latencies),
                         "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
                         "p99_ms": round(percentile(latencies, 0.99) * 1000, 2)}
    verb_statuses = {s: sum(t.statuses["verb"].get(s, 0) for t in tallies) for s in (409, 412)}
    errors = sum(n for t in tallies for kind in KINDS for s, n in t.statuses[kind].items()
                 if s not in (200, 201) and not (kind == "verb" and s in (409, 412)))
    return {
        "requests": done,
        "complete": done == requests,  # False: the time bound ended the run first
        "duration_s": round(duration, 2),
        "requests_per_s": round(done / duration, 1) if duration > 0 else 0.0,
        "by_kind": by_kind,
        "conflicts": {"409": verb_statuses[409], "412": verb_statuses[412]},
        "replayed": sum(t.replayed for t in tallies),
        "errors": errors,
        "error_samples": [e for t in tallies for e in t.errors][:5],
        "filed": sum(t.created for t in tallies),
        "steps": sum(t.steps for t in tallies),
    }


# -- a database seeded for a run ------------------------------------------------------------
@dataclass
class Seeded:
    url: str
    cases: list[Case]
    tokens: dict[str, str]
    counts: dict[str, int]


def seed_database(url: str, size: int) -> Seeded:
    """`size` complaints spread over the walk's steps (each one's agent and handler taking
    turns), and a token for every person the clients act as; not timed."""
    now = datetime.now(UTC)
    desk = open_desk(url, now)
    try:
        issuer = Tokens(desk.engine, desk.directory)
        tokens = {person: issuer.create(actor=ISSUER, person=person, now=now, label="benchmark").token
                  for person in (*AGENTS, *HANDLERS)}
        door = DeskDoor(desk)
        cases = []
        for i in range(size):
            agent, handler = AGENTS[i % len(AGENTS)], HANDLERS[i % len(HANDLERS)]
            filed = door.intake(agent, f"seed-{i}")
            assert filed.number is not None
            case = Case(filed.number, agent, handler, 0, 1)
            for step in WALK[:i % len(WALK)]:
                person = agent if step.by == "agent" else handler
                done = door.verb(person, case.number, step.verb, step.body(handler), case.version)
                if done.status != 200 or done.version is None:
                    raise BenchError(f"seeding: {step.verb} of {case.number} answered {done.status}: {done.detail}")
                case.step, case.version = case.step + 1, done.version
            cases.append(case)
    finally:
        desk.engine.dispose()
    return Seeded(url, cases, tokens, counts(url))


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "complaints": int(conn.execute(text("SELECT count(*) FROM complaints")).scalar_one()),
                "versions": int(conn.execute(text("SELECT coalesce(sum(version), 0) FROM complaints")).scalar_one()),
                "refusals": int(conn.execute(text("SELECT count(*) FROM refusals")).scalar_one()),
            }
    finally:
        engine.dispose()


def check(seeded: Seeded, figures: dict[str, Any]) -> None:
    """The database must hold what the clients were told, or the figures mean nothing."""
    found = counts(seeded.url)
    was = seeded.counts
    expected = {"complaints": was["complaints"] + figures["filed"],
                "versions": was["versions"] + figures["filed"] + figures["steps"],
                "refusals": was["refusals"] + figures["conflicts"]["409"] + figures["conflicts"]["412"]}
    if found != expected:
        raise BenchError(f"the database holds {found} after the run, the clients were told {expected}")


def ledger_of(seeded: Seeded) -> Ledger:
    ledger = Ledger()
    for case in seeded.cases:
        ledger.add(Case(case.number, case.agent, case.handler, case.step, case.version))
    return ledger


# -- the server -----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def process_tree(root: int) -> dict[int, float]:
    """CPU seconds (user + system) of `root` and every process below it, by pid (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
    tree, frontier = {root}, [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
        tree.update(frontier)
    return {pid: cpu[pid] for pid in tree if pid in cpu}


@contextmanager
def serve(url: str, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`desk serve --workers N` on a free loopback port, until every worker has started."""
    with tempfile.TemporaryDirectory(prefix="desk-bench-api-") as home:
        port = free_port()
        env = {**os.environ, "DESK_HOME": home, "DESK_DATABASE_URL": url}
        for variable in ("DESK_USER", "DESK_POLICY_DIR", "DESK_NOTIFY_URL"):
            env.pop(variable, None)
        log_path = Path(home) / "serve.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen([sys.executable, "-m", "desk", "serve", "--host", HOST, "--port", str(port),
                                        "--workers", str(workers)], cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        try:
            base = f"http://{HOST}:{port}"
            _wait_until_up(base, process, workers, log_path)
            yield base, process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], workers: int, log: Path) -> None:
    """Answering, and every worker started and idle (their CPU time no longer moving): a worker
    still opening the desk would otherwise leave its share of the connections to the others."""
    started = time.monotonic()
    answered, last = False, -1.0
    while True:
        if process.poll() is not None:
            raise BenchError(f"desk serve exited with {process.returncode}: "
                             f"{log.read_text(errors='replace')[-2000:]}")
        if time.monotonic() - started > 90:
            raise BenchError("desk serve did not start within 90 s")
        if not answered:
            with suppress(httpx.TransportError):
                answered = httpx.get(f"{base}/api/v1/openapi.json", timeout=5).status_code == 200
        if answered:
            tree = process_tree(process.pid)
            spent = sum(tree.values())
            # One worker serves in the process itself; more: a supervisor and one child each.
            if len(tree) >= (1 if workers == 1 else workers + 1) and spent - last < 0.02:
                return
            last = spent
        time.sleep(0.3)


def warm_up(door: Door, ledger: Ledger, rounds: int = 4) -> None:
    """Every kind of read once per round on a fresh client, not measured: first calls build
    caches (a model's serializer, a prepared statement) that a day of requests does not pay."""
    rng = random.Random(0)
    for _ in range(rounds):
        picked = ledger.pick_any(rng)
        assert picked is not None
        for answer in (door.show(picked[1], picked[0]), door.listing(AGENTS[0]), door.tasks(HANDLERS[0])):
            if answer.status != 200:
                raise BenchError(f"warming up: a read answered {answer.status}: {answer.detail}")


# -- a benchmark run ------------------------------------------------------------------------
def in_process(db: str, sizes: dict[str, Any]) -> dict[str, Any]:
    with fresh_database(db) as url:
        seeded = seed_database(url, sizes["seed"])
        desk = open_desk(url, datetime.now(UTC))
        try:
            ledger = ledger_of(seeded)
            warm_up(DeskDoor(desk), ledger)
            cpu_before = time.process_time()
            tallies = drive([DeskDoor(desk) for _ in range(sizes["clients"])], ledger, sizes["requests"],
                            sizes["max_seconds"], sizes["seed"])
            cpu = time.process_time() - cpu_before
        finally:
            desk.engine.dispose()
        figures = summary(tallies, sizes["requests"])
        figures["cpu_s"] = round(cpu, 2)
        figures["cpu_ms_per_request"] = round(cpu * 1000 / max(figures["requests"], 1), 2)
        check(seeded, figures)
    return figures


def over_http(db: str, sizes: dict[str, Any], workers: int) -> dict[str, Any]:
    with fresh_database(db) as url:
        seeded = seed_database(url, sizes["seed"])
        with serve(url, workers) as (base, process):
            ledger = ledger_of(seeded)
            for _ in range(2 * workers):  # fresh connections, which land on any worker
                door = HttpDoor(base, seeded.tokens)
                warm_up(door, ledger, rounds=2)
                door.close()
            server_before = process_tree(process.pid)
            client_before = time.process_time()
            tallies = drive([HttpDoor(base, seeded.tokens) for _ in range(sizes["clients"])], ledger,
                            sizes["requests"], sizes["max_seconds"], sizes["seed"])
            client_cpu = time.process_time() - client_before
            server_after = process_tree(process.pid)
        figures = summary(tallies, sizes["requests"])
        spent = {pid: cpu - server_before.get(pid, 0.0) for pid, cpu in server_after.items()}
        figures["workers"] = workers
        figures["server_cpu_s"] = round(sum(spent.values()), 2)
        # The processes that served (a supervisor idles): how evenly the connections spread.
        figures["worker_cpu_s"] = sorted((round(s, 2) for s in spent.values() if s >= 0.05), reverse=True)
        figures["client_cpu_s"] = round(client_cpu, 2)
        figures["server_cpu_ms_per_request"] = round(figures["server_cpu_s"] * 1000 / max(figures["requests"], 1), 2)
        figures["client_cpu_ms_per_request"] = round(client_cpu * 1000 / max(figures["requests"], 1), 2)
        check(seeded, figures)
    return figures


def run(db: str, sizes: dict[str, Any], workers: list[int]) -> dict[str, Any]:
    result: dict[str, Any] = {"clients": sizes["clients"], "requests": sizes["requests"],
                              "max_seconds": sizes["max_seconds"], "seeded": sizes["seed"],
                              "mix": dict(MIX), "in_process": in_process(db, sizes)}
    floor = result["in_process"]["requests_per_s"]
    for n in workers:
        figures = over_http(db, sizes, n)
        result[f"workers_{n}"] = figures
        result[f"ratio_{n}"] = round(figures["requests_per_s"] / floor, 3) if floor else None
    result["target_ratio"] = TARGET_RATIO
    if "ratio_1" in result:
        result["meets_target"] = result["ratio_1"] is not None and result["ratio_1"] >= TARGET_RATIO
    return result


def sizes_from(args: argparse.Namespace) -> dict[str, Any]:
    chosen = dict(SIZES["quick" if args.quick else "default"])
    for name in chosen:
        if getattr(args, name) is not None:
            chosen[name] = getattr(args, name)
    if not 1 <= chosen["clients"] <= 64:
        raise BenchError(f"--clients: {chosen['clients']} must be between 1 and 64")
    if not 1 <= chosen["requests"] <= 1_000_000:
        raise BenchError(f"--requests: {chosen['requests']} must be between 1 and 1,000,000")
    if not 0 < chosen["max_seconds"] <= 3_600:
        raise BenchError(f"--max-seconds: {chosen['max_seconds']} must be more than 0 and at most 3600")
    if not len(WALK) <= chosen["seed"] <= 100_000:
        raise BenchError(f"--seed: {chosen['seed']} must be between {len(WALK)} and 100,000 complaints")
    return chosen


def worker_counts(text_value: str) -> list[int]:
    try:
        counts_asked = [int(part) for part in text_value.split(",") if part.strip()]
    except ValueError:
        raise BenchError(f"--workers: expected whole numbers such as 1,2, got '{text_value}'") from None
    if not counts_asked or not all(1 <= n <= 16 for n in counts_asked):
        raise BenchError(f"--workers: '{text_value}' must name 1 to 16 workers per run, such as 1,2")
    return counts_asked


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=DATABASES, default="sqlite")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 8)")
    parser.add_argument("--requests", type=int, help="requests per configuration (default 2,000)")
    parser.add_argument("--max-seconds", type=float, help="time bound per configuration (default 60)")
    parser.add_argument("--seed", type=int, help="complaints in the database before the run (default 210)")
    parser.add_argument("--workers", default="1,2", help="uvicorn worker counts to run, comma-separated (default 1,2)")
    parser.add_argument("--quick", action="store_true", help="small sizes: 4 clients, 200 requests, 21 complaints")
    parser.add_argument("--json", action="store_true", help="print only the JSON result on stdout")
    args = parser.parse_args(argv)
    try:
        result = {"machine": machine(), "api": {args.db: run(args.db, sizes_from(args), worker_counts(args.workers))}}
    except BenchError as exc:
        fail(str(exc))
    emit(f"api-{args.db}", result, as_json=args.json)


if __name__ == "__main__":
    main()
