"""Crash during intake: integrations filing over HTTP at the same time when `desk serve` dies by
SIGKILL mid-stream. They see their connections cut, the server comes back, and each re-sends
what it never had an answer for (same Idempotency-Key, same body) and a few it had. Every
complaint is then on file exactly once, every retry is a 201 or a replay of the first answer,
and nothing answers 5xx or 409. A real server on SQLite and PostgreSQL; every wait is bounded
by an event or a timeout, never by sleeping."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from desk.store.tables import complainants, complaints, events, timers
from desk.tokens import Tokens
from tests.api.server import ApiServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Four integration clients (two lines of the hotline share its account) filing 50 complaints each.
CLIENTS = {"hotline-a": "hotline-12345", "hotline-b": "hotline-12345", "shop": "shop-platform",
           "callcentre": "callcentre"}
EACH = 50
KILL_AFTER = 60  # answers seen before the SIGKILL: the clients are still filing then
RESENT = 3  # complaints per client re-sent though their 201 arrived
PATIENCE = 20.0  # seconds any one request may take; a server that hangs fails the test
WAIT = 120.0  # seconds for a whole pass of every client


@dataclass(frozen=True)
class Sent:
    client: str
    caller: str
    key: str
    form: dict[str, Any]

    @property
    def description(self) -> str:
        return str(self.form["description"])


@dataclass
class Answer:
    """What one request got back: a response, or the transport error instead of one."""

    status: int | None = None
    replayed: str | None = None  # the Idempotent-Replayed header
    body: Any = None
    lost: str | None = None  # "cut": sent, the connection died before an answer; "refused": never connected

    def __str__(self) -> str:
        if self.lost:
            return f"no answer ({self.lost})"
        return f"{self.status}{' replayed' if self.replayed else ''} {str(self.body)[:300]}"


def _forms(line: int, client: str, caller: str) -> list[Sent]:
    sent = []
    for i in range(EACH):
        n = f"{client}-{i:03d}"
        form: dict[str, Any] = {"name": f"业主{n}", "phone": f"139{line:04d}{i:04d}",
                                "description": f"{n}: {i % 30 + 1}号楼{i % 18 + 1}层楼道灯不亮",
                                "request": "尽快修好"}
        if caller == "shop-platform":
            form |= {"family": "enterprise", "channel": "platform", "order_no": f"SO{n}", "shop": "旗舰店"}
        else:
            form |= {"family": "property", "channel": "hotline", "location": f"{i % 30 + 1}号楼"}
        sent.append(Sent(client, caller, f"{n}-{i * 7919 % 100003:05d}", form))
    return sent


def _differences(first: Any, then: Any) -> str:
    if not isinstance(first, dict) or not isinstance(then, dict):
        return f"{first} then {then}"
    return ", ".join(f"{k}: {first.get(k)!r} then {then.get(k)!r}" for k in sorted({*first, *then})
                     if first.get(k) != then.get(k))


def _ask(http: httpx.Client, item: Sent) -> Answer:
    try:
        response = http.post("/complaints", json=item.form, headers={"Idempotency-Key": item.key})
    except httpx.TimeoutException as exc:
        return Answer(lost=f"timed out after {PATIENCE:.0f} s: {exc!r}")
    except httpx.ConnectError:
        return Answer(lost="refused")
    except httpx.TransportError as exc:
        return Answer(lost=f"cut: {type(exc).__name__}")
    body: Any = response.json() if response.content else None
    return Answer(response.status_code, response.headers.get("Idempotent-Replayed"), body)


class Counting:
    """Answers seen across the clients, and requests on the wire: what the kill waits on."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.answered = 0
        self.in_flight = 0
        self.done = 0
        self.killed = threading.Event()  # set just before the SIGKILL: no error before it is the kill's


@dataclass
class Client:
    name: str
    caller: str
    items: list[Sent]
    first: dict[str, Answer] = field(default_factory=dict)  # by key; absent: never sent
    failure: BaseException | None = None

    def file_until_cut(self, api: ApiServer, counts: Counting) -> None:
        """Files one after another until a request goes unanswered (the server died): an
        integration then stops and retries later. A connection lost while the server was alive
        is wrong: it is marked so and the client goes on."""
        try:
            with api.client(self.caller) as http:
                http.timeout = httpx.Timeout(PATIENCE)
                for item in self.items:
                    with counts.changed:
                        counts.in_flight += 1
                    answer = _ask(http, item)
                    if answer.lost and not counts.killed.is_set():
                        answer.lost = f"dropped before the kill: {answer.lost}"
                    self.first[item.key] = answer
                    with counts.changed:
                        counts.in_flight -= 1
                        counts.answered += answer.lost is None
                        counts.changed.notify_all()
                    if answer.lost and not answer.lost.startswith("dropped"):
                        break
        except BaseException as exc:  # reported by the test, with the client's name
            self.failure = exc
        finally:
            with counts.changed:
                counts.done += 1
                counts.changed.notify_all()

    def send(self, api: ApiServer, items: list[Sent], into: dict[str, Answer]) -> None:
        try:
            with api.client(self.caller) as http:
                http.timeout = httpx.Timeout(PATIENCE)
                for item in items:
                    into[item.key] = _ask(http, item)
        except BaseException as exc:
            self.failure = exc


def _run_all(clients: list[Client], target: str, args: dict[str, tuple[Any, ...]]) -> None:
    threads = [threading.Thread(target=getattr(c, target), args=args[c.name], name=c.name, daemon=True)
               for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"clients {stuck} still sending after {WAIT:.0f} s ({target})"
    failed = [f"{c.name}: {c.failure!r}" for c in clients if c.failure]
    assert not failed, f"clients broke ({target}): " + "; ".join(failed)


def _on_file(api: ApiServer) -> tuple[dict[str, list[tuple[str, str | None]]], list[int]]:
    """Complaints on file by the complainant's description -> [(number, stored key)], and how
    many complaints, complainants, receipts (Received events) and complaints without deadlines."""
    desk = api.desk()
    try:
        with desk.reading() as uow:
            db = uow.connection
            found: dict[str, list[tuple[str, str | None]]] = {}
            for number, key, description in db.execute(
                    select(complaints.c.number, complaints.c.idempotency_key, complainants.c.description)
                    .join(complainants, complainants.c.complaint_id == complaints.c.id)):
                found.setdefault(description, []).append((number, key))
            counts = [int(db.execute(query).scalar_one()) for query in (
                select(func.count()).select_from(complaints),
                select(func.count()).select_from(complainants),
                select(func.count()).select_from(events).where(events.c.name == "Received"),
                select(func.count()).select_from(complaints).where(
                    ~select(timers.c.id).where(timers.c.complaint_id == complaints.c.id).exists()))]
            return found, counts
    finally:
        desk.engine.dispose()


def test_intake_killed_mid_stream_files_each_complaint_once_after_retries(api: ApiServer) -> None:
    desk = api.desk()
    api.tokens["callcentre"] = Tokens(desk.engine, desk.directory).create(
        actor="ma-jing", person="callcentre", now=datetime.now(UTC)).token
    desk.engine.dispose()
    clients = [Client(name, caller, _forms(line, name, caller)) for line, (name, caller) in enumerate(CLIENTS.items())]
    everything = [item for c in clients for item in c.items]
    assert len({i.key for i in everything}) == len({i.description for i in everything}) == len(everything)

    # 1. Everyone files; after KILL_AFTER answers the server is SIGKILLed with requests on the wire.
    counts = Counting()
    threads = [threading.Thread(target=c.file_until_cut, args=(api, counts), name=c.name, daemon=True)
               for c in clients]
    for thread in threads:
        thread.start()
    with counts.changed:
        reached = counts.changed.wait_for(lambda: counts.answered >= KILL_AFTER or counts.done == len(clients),
                                          timeout=WAIT)
        answered_at_kill, on_the_wire = counts.answered, counts.in_flight
    assert reached, f"only {counts.answered} answers within {WAIT:.0f} s, and the clients still filing"
    assert answered_at_kill >= KILL_AFTER, (
        f"every client stopped after {answered_at_kill} answers, before the kill: "
        + "; ".join(f"{c.name}: {list(c.first.values())[-1:]} {c.failure!r}" for c in clients))
    counts.killed.set()
    api.kill()
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not [t.name for t in threads if t.is_alive()], f"clients still sending {WAIT:.0f} s after the kill"
    assert not [c for c in clients if c.failure], [f"{c.name}: {c.failure!r}" for c in clients if c.failure]

    # Anything but a 201 before the kill is wrong; the test goes on (an integration retries it
    # like the rest) and reports it at the end with all else it found.
    surprises: list[str] = []
    first = {key: answer for c in clients for key, answer in c.first.items()}
    got = {key for key, a in first.items() if a.lost is None and a.status == 201 and not a.replayed}
    cut = {key for key, a in first.items() if a.lost and a.lost.startswith("cut")}
    refused = {key for key, a in first.items() if a.lost == "refused"}
    unsent = {i.key for i in everything} - set(first)
    wrong = set(first) - got - cut - refused  # answered otherwise, or timed out
    surprises += [f"{i.client} {i.key} before the kill: {first[i.key]}, not 201" for i in everything if i.key in wrong]
    assert len(got) < len(everything), f"all {len(everything)} were answered: the kill came after the last one"
    assert cut or refused, "no client noticed the kill"

    # 2. The server comes back. What the crash left: every answered 201 is on file; a request cut
    #    on the wire may or may not be (committed, its answer lost); the rest were never received.
    api.start()
    before, _ = _on_file(api)
    for item in everything:
        on_file = before.get(item.description, [])
        if item.key in got and len(on_file) != 1:
            surprises.append(f"{item.client} {item.key} was answered 201 {first[item.key].body} before the kill, "
                             f"but after the restart it is on file {len(on_file)} times: {on_file}")
        if item.key in refused | unsent and on_file:
            surprises.append(f"{item.client} {item.key} never reached the server but is on file: {on_file}")
        if item.key in wrong and on_file and (first[item.key].status or 0) >= 400:
            surprises.append(f"{item.client} {item.key} was answered {first[item.key]} but is on file: {on_file}")
    committed_unanswered = {i.key for i in everything if i.key in cut and before.get(i.description)}

    # 3. Each client re-sends everything it has no answer for, and a few it has; all at once.
    resent: dict[str, list[Sent]] = {}
    for c in clients:
        answered = [i for i in c.items if i.key in got]
        # The first, the last and some between: RESENT of them, spread over what was answered.
        spread = max(RESENT - 1, 1)
        chosen = {answered[n * (len(answered) - 1) // spread].key for n in range(RESENT)} if answered else set()
        resent[c.name] = [i for i in c.items if i.key not in got or i.key in chosen]
    retried: dict[str, dict[str, Answer]] = {c.name: {} for c in clients}
    _run_all(clients, "send", {c.name: (api, resent[c.name], retried[c.name]) for c in clients})
    retries = {key: answer for answers in retried.values() for key, answer in answers.items()}
    assert sum(len(items) for items in resent.values()) == len(retries)
    assert len(got & set(retries)) >= len(clients), "too few answered complaints were re-sent"
    for item in (i for c in clients for i in resent[c.name]):
        answer, was = retries[item.key], before.get(item.description)
        label = ("answered 201 before" if item.key in got else f"first {first[item.key].status or first[item.key].lost}"
                 if item.key in wrong else "committed, answer lost" if was else "cut, not committed" if item.key in cut
                 else "refused" if item.key in refused else "never sent")
        if answer.lost is not None or answer.status is None or answer.status >= 500 or answer.status == 409:
            surprises.append(f"{item.client} {item.key} ({label}) retried: {answer}")
        elif was:  # on file already: a replay of it, with the first answer's body where one came
            expected = first[item.key].body if item.key in got else None
            if answer.status != 200 or answer.replayed != "true":
                surprises.append(f"{item.client} {item.key} ({label}, on file as {was[0][0]}) retried: {answer}, "
                                 "not 200 with Idempotent-Replayed: true")
            elif expected is not None and answer.body != expected:
                surprises.append(f"{item.client} {item.key} ({label}) replayed a body unlike the first answer's: "
                                 f"{_differences(expected, answer.body)}")
            elif answer.body.get("number") != was[0][0]:
                surprises.append(f"{item.client} {item.key} ({label}) replayed {answer.body}, "
                                 f"but it is on file as {was[0][0]}")
        elif answer.status != 201 or answer.replayed:
            surprises.append(f"{item.client} {item.key} ({label}, not on file) retried: {answer}, not 201")

    # 4. Then everything once more, as a client that lost track would: each a replay of its first answer.
    seen = {key: a.body for key, a in (*retries.items(), *first.items())  # the first answer wins
            if a.lost is None and a.status in (200, 201)}
    again: dict[str, dict[str, Answer]] = {c.name: {} for c in clients}
    _run_all(clients, "send", {c.name: (api, c.items, again[c.name]) for c in clients})
    for item in everything:
        answer = again[item.client][item.key]
        if answer.status != 200 or answer.replayed != "true":
            surprises.append(f"{item.client} {item.key} sent a third time: {answer}, not a 200 replay")
        elif answer.body != seen.get(item.key):
            surprises.append(f"{item.client} {item.key} sent a third time: a body unlike the first answer's: "
                             f"{_differences(seen.get(item.key), answer.body)}")

    # 5. On file: each complaint exactly once, whole, under its own key, as the API numbered it.
    after, (total, people, received, timerless) = _on_file(api)
    twice = {description: rows for description, rows in after.items() if len(rows) > 1}
    missing = [i.key for i in everything if i.description not in after]
    strangers = sorted(set(after) - {i.description for i in everything})
    keys = [key for rows in after.values() for _, key in rows]
    for item in everything:
        told = {str(a.body.get("number")) for a in (first.get(item.key), retries.get(item.key),
                                                    again[item.client][item.key])
                if a is not None and a.status in (200, 201) and isinstance(a.body, dict)}
        filed_as = {number for number, _ in after.get(item.description, [])}
        if told != filed_as:
            surprises.append(f"{item.client} {item.key}: the API gave {sorted(told)}, on file as {sorted(filed_as)}")
    print(f"\n{len(clients)} clients x {EACH}: SIGKILL after {answered_at_kill} answers with {on_the_wire} "
          f"requests on the wire; {len(got)} answered before it, {len(cut)} cut "
          f"({len(committed_unanswered)} of them committed with the answer lost), {len(refused)} refused, "
          f"{len(unsent)} never sent, {len(wrong)} answered wrongly; {len(retries)} retried after the restart "
          f"({sum(a.status == 201 for a in retries.values())} filed, "
          f"{sum(a.status == 200 for a in retries.values())} replayed); then all {len(everything)} re-sent; "
          f"on file: {total} complaints, {len(set(keys))} distinct keys, {people} complainants, {received} "
          f"receipts, {timerless} without deadlines, {len(twice)} filed twice")
    found = [f"{len(twice)} complaints filed more than once, e.g. {dict(list(twice.items())[:3])}"] if twice else []
    found += [f"{len(missing)} complaints not on file, e.g. {missing[:5]}"] if missing else []
    found += [f"{len(strangers)} complaints on file that no one sent, e.g. {strangers[:5]}"] if strangers else []
    if not total == len(set(keys)) == len(everything) or None in keys:
        found.append(f"{total} complaints on file for {len(everything)} keys sent "
                     f"({len(set(keys) - {None})} distinct keys stored, {keys.count(None)} without one)")
    if not people == received == total or timerless:
        found.append(f"not whole: {total} complaints, {people} complainants, {received} receipts, "
                     f"{timerless} without deadlines")
    found += surprises
    if any((a.status or 0) >= 500 for answers in (first, retries, *again.values()) for a in answers.values()):
        log = (api.home / "serve.log").read_text(errors="replace").splitlines()
        errors = dict.fromkeys(line for line in log if re.match(r"^[\w.]+(Error|Exception|Violation): ", line))
        found.append("5xx answered; the server log says: " + " | ".join(list(errors)[:3]))
    assert found == [], f"{len(found)} things went wrong:\n" + "\n".join(
        found[:40] + ([f"... and {len(found) - 40} more"] if len(found) > 40 else []))
