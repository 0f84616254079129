"""Signed webhook deliveries, checked by a real HTTP receiver on 127.0.0.1 that knows nothing of the
desk: it runs the five lines of README's "Webhook signatures" (hmac and hashlib only), taken from
README.md itself, so the documented check is the one tested. Clocks are passed in; nothing sleeps.
"""

from __future__ import annotations

import hmac
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from desk.config import Settings
from desk.errors import BadInput
from desk.notify import LogNotifier, Notification, WebhookNotifier, notifier_from, verify_signature
from desk.service import Desk
from tests.support import at

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
SECRET = b"s3cret-shared-with-the-gateway"
T = 1_800_000_000.0  # unix seconds, 2027-01-15: what the fake clocks say unless a test moves them
NOTICE = Notification(7, "li-na", "TS-2026-000001", "escalation",
                      {"stage": "triage", "level": 2, "action": "overdue_notice"})


def readme_check() -> tuple[Callable[..., bool], str]:
    """The receiver's check as README.md shows it, compiled from the file."""
    text = README.read_text(encoding="utf-8")
    assert "### Webhook signatures" in text, "README.md has no 'Webhook signatures' subsection"
    section = text.split("### Webhook signatures", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace["verified"], code


@dataclass
class Seen:
    headers: Message  # as http.server parsed them: names in any case
    body: bytes
    verified: bool


class Receiver:
    """A gateway: verifies each POST with README's check; 401 when it fails, otherwise the next of
    `answers` (then 204)."""

    def __init__(self, secret: bytes) -> None:
        self.secret, self.now = secret, T
        self.seen: list[Seen] = []
        self.answers: list[int] = []
        check, _ = readme_check()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ok = check(receiver.secret, body, self.headers, receiver.now)
                receiver.seen.append(Seen(self.headers, body, ok))
                status = (receiver.answers.pop(0) if receiver.answers else 204) if ok else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/desk"

    def replay(self, seen: Seen, body: bytes | None = None, **changed: str) -> int:
        """POSTs a request the receiver saw again, with `body` or headers (X_Desk_Delivery=...) changed."""
        headers = {name: seen.headers[name] for name in ("Content-Type", "X-Desk-Timestamp", "X-Desk-Delivery",
                                                          "X-Desk-Signature")}
        headers.update({name.replace("_", "-"): value for name, value in changed.items()})
        request = urllib.request.Request(self.url, data=seen.body if body is None else body, method="POST",
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as refused:
            return refused.code


class Clock:
    def __init__(self, now: float = T) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # a proxy from the environment must not carry these
    gateway = Receiver(SECRET)
    thread = threading.Thread(target=gateway.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()
    thread.join()


def test_readme_shows_the_check_in_five_lines_of_hmac_and_hashlib() -> None:
    _, code = readme_check()
    lines = [line for line in code.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith(("import", "from"))] == ["import hashlib, hmac"]
    body = lines[lines.index(next(line for line in lines if line.startswith("def verified("))) + 1:]
    assert len(body) == 5


def test_a_delivered_notice_verifies(receiver: Receiver) -> None:
    WebhookNotifier(receiver.url, SECRET, clock=Clock()).send(NOTICE)

    [seen] = receiver.seen
    assert seen.verified
    assert json.loads(seen.body) == asdict(NOTICE)
    assert seen.headers["X-Desk-Delivery"] == "desk-7"
    assert seen.headers["X-Desk-Timestamp"] == str(int(T))
    expected = hmac.new(SECRET, f"{int(T)}.desk-7.".encode() + seen.body, "sha256").hexdigest()
    assert seen.headers["X-Desk-Signature"] == f"sha256={expected}"
    assert verify_signature(SECRET, seen.body, seen.headers, now=T)
    assert verify_signature(SECRET.decode(), seen.body, dict(seen.headers), now=T)  # str secret, plain dict


def test_a_tampered_body_or_header_fails(receiver: Receiver) -> None:
    WebhookNotifier(receiver.url, SECRET, clock=Clock()).send(NOTICE)
    [seen] = receiver.seen
    tampered = seen.body.replace(b'"li-na"', b'"zhao-min"')
    assert tampered != seen.body

    assert receiver.replay(seen) == 204  # the same bytes again verify: the replay itself changes nothing
    assert receiver.replay(seen, body=tampered) == 401
    assert receiver.replay(seen, body=seen.body + b" ") == 401
    assert receiver.replay(seen, X_Desk_Delivery="desk-8") == 401  # the id is signed too
    assert receiver.replay(seen, X_Desk_Timestamp=str(int(T) + 1)) == 401  # and the timestamp
    assert [s.verified for s in receiver.seen] == [True, True, False, False, False, False]
    assert not verify_signature(SECRET, tampered, seen.headers, now=T)
    assert not verify_signature(SECRET, seen.body, {**dict(seen.headers), "X-Desk-Delivery": "desk-8"}, now=T)


def test_an_old_timestamp_fails_and_one_within_five_minutes_passes(receiver: Receiver) -> None:
    clock = Clock(T - 300)
    notifier = WebhookNotifier(receiver.url, SECRET, clock=clock)
    notifier.send(NOTICE)  # exactly 5 minutes old: accepted
    clock.now = T - 301
    with pytest.raises(urllib.error.HTTPError, match="401"):
        notifier.send(NOTICE)
    assert [s.verified for s in receiver.seen] == [True, False]
    old = receiver.seen[1]
    assert verify_signature(SECRET, old.body, old.headers, now=T - 301)  # well signed, only old
    assert not verify_signature(SECRET, old.body, old.headers, now=T)
    assert not verify_signature(SECRET, old.body, old.headers, now=T - 602)  # from the future fails too
    assert verify_signature(SECRET, old.body, old.headers, now=T, tolerance=301)


def test_a_retry_of_the_same_notice_carries_the_same_delivery_id(receiver: Receiver) -> None:
    clock = Clock()
    notifier = WebhookNotifier(receiver.url, SECRET, clock=clock)
    receiver.answers = [503]
    with pytest.raises(urllib.error.HTTPError, match="503"):
        notifier.send(NOTICE)
    clock.now = receiver.now = T + 60
    notifier.send(NOTICE)
    notifier.send(Notification(8, "chen-hui", NOTICE.number, NOTICE.kind, NOTICE.payload))

    first, retry, other = receiver.seen
    assert first.verified and retry.verified and other.verified
    assert first.headers["X-Desk-Delivery"] == retry.headers["X-Desk-Delivery"] == "desk-7"
    assert other.headers["X-Desk-Delivery"] == "desk-8"
    assert (first.headers["X-Desk-Timestamp"], retry.headers["X-Desk-Timestamp"]) == (str(int(T)), str(int(T) + 60))
    assert first.headers["X-Desk-Signature"] != retry.headers["X-Desk-Signature"]


def test_a_wrong_secret_fails(receiver: Receiver) -> None:
    with pytest.raises(urllib.error.HTTPError, match="401"):
        WebhookNotifier(receiver.url, b"s3cret-shared-with-the-gatewaY", clock=Clock()).send(NOTICE)
    [seen] = receiver.seen
    assert not seen.verified
    assert not verify_signature(SECRET, seen.body, seen.headers, now=T)
    assert verify_signature(b"s3cret-shared-with-the-gatewaY", seen.body, seen.headers, now=T)
    with pytest.raises(ValueError, match="empty secret"):
        verify_signature(b"", seen.body, seen.headers, now=T)


def test_a_webhook_without_a_secret_is_refused(receiver: Receiver, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESK_NOTIFY_SECRET", raising=False)
    for build in (lambda: notifier_from(receiver.url, tmp_path), lambda: WebhookNotifier(receiver.url, None),
                  lambda: WebhookNotifier(receiver.url, ""), lambda: WebhookNotifier(receiver.url, b"  ")):
        with pytest.raises(BadInput, match="set DESK_NOTIFY_SECRET") as refused:
            build()
        assert str(refused.value).count(". ") == 0 and receiver.url not in str(refused.value)
    monkeypatch.setenv("DESK_NOTIFY_SECRET", "")
    with pytest.raises(BadInput, match="DESK_NOTIFY_SECRET"):
        notifier_from(receiver.url, tmp_path)
    assert receiver.seen == []
    assert isinstance(notifier_from(None, tmp_path), LogNotifier)  # no webhook, no secret needed

    monkeypatch.setenv("DESK_NOTIFY_SECRET", SECRET.decode())  # how flows build it: from the environment
    settings = Settings.from_env()
    assert settings.notify_secret == SECRET.decode() and SECRET.decode() not in repr(settings)
    notifier = notifier_from(receiver.url, tmp_path, clock=Clock())
    assert SECRET.decode() not in repr(notifier)
    notifier.send(NOTICE)
    assert [s.verified for s in receiver.seen] == [True]


def test_the_desk_delivers_signed_escalation_notices_and_retries_under_the_same_id(
        desk: Desk, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = at("2026-11-23 09:00")
    number = desk.file(actor="li-na", now=t, family="property",
                       complainant={"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}).number
    fired = desk.fire_due_timers(t + timedelta(hours=1))  # triage untouched for an hour
    assert {f.action for f in fired} == {"reminder", "breached", "overdue_notice"}

    moment = [t + timedelta(hours=1)]  # the desk's clock, the notifier's and the receiver's agree

    def now() -> datetime:
        return moment[0]

    monkeypatch.setenv("DESK_NOTIFY_SECRET", SECRET.decode())
    notifier = notifier_from(receiver.url, tmp_path, clock=lambda: now().timestamp())
    receiver.now, receiver.answers = now().timestamp(), [500]
    first = desk.deliver_notifications(notifier, now())
    assert len(first.failed) == 1 and len(first.sent) == 2
    moment[0] += timedelta(minutes=1)
    receiver.now = now().timestamp()
    retried = desk.deliver_notifications(notifier, now())
    assert retried.sent == first.failed and retried.failed == []

    assert len(receiver.seen) == 4 and all(s.verified for s in receiver.seen)
    ids = [s.headers["X-Desk-Delivery"] for s in receiver.seen]
    assert ids[0] == ids[3] == f"desk-{first.failed[0]}"  # the failed one, then its retry
    assert sorted(ids[1:3]) == sorted(f"desk-{i}" for i in first.sent)
    stamps = [int(s.headers["X-Desk-Timestamp"]) for s in receiver.seen]
    assert stamps == [int((t + timedelta(hours=1)).timestamp())] * 3 + [int(now().timestamp())]
    notices = [json.loads(s.body) for s in receiver.seen[:3]]
    assert {n["number"] for n in notices} == {number}
    assert sorted((n["recipient"], n["payload"]["action"]) for n in notices) == [
        ("chen-hui", "overdue_notice"), ("li-na", "overdue_notice"), ("li-na", "reminder")]
    assert receiver.seen[3].body == receiver.seen[0].body  # a retry sends the same notice
    assert not any("王建国".encode() in s.body or b"13812345678" in s.body for s in receiver.seen)
