"""A slow notification gateway holds no lock: notices are claimed in one short transaction, sent
with none open, and recorded in a second (issue 15). On SQLite a webhook sent inside a write
transaction held the database's only write lock for as long as the gateway took (10 s a call,
up to 500 calls), and every verb meanwhile waited, then reported the database unavailable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from desk.notify import WebhookNotifier
from desk.outbox import outbox_page
from tests.integration.conftest import open_desk
from tests.support import at

pytestmark = pytest.mark.integration


class HeldGateway:
    """A real HTTP gateway that takes each notice and answers only when released."""

    def __init__(self) -> None:
        self.arrived, self.release = threading.Event(), threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                gateway.arrived.set()
                gateway.release.wait(30)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def gateway() -> Iterator[HeldGateway]:
    held = HeldGateway()
    yield held
    held.close()


def test_a_verb_completes_while_a_notice_is_in_flight(tmp_path: Path, gateway: HeldGateway) -> None:
    desk = open_desk(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path)
    person = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
    desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=person)
    other = desk.file(actor="li-na", now=at("2026-11-23 09:20"), family="property", complainant=person).number
    desk.fire_due_timers(at("2026-11-23 09:25"))  # the first one's triage reminder: a notice owed to li-na
    notifier = WebhookNotifier(gateway.url, secret="s3cret", timeout=30)
    delivering = threading.Thread(target=desk.deliver_notifications, args=(notifier, at("2026-11-23 09:26")),
                                  daemon=True)
    delivering.start()
    assert gateway.arrived.wait(10), "the notice never reached the gateway"

    # The gateway holds the notice; the desk must not be holding the write lock meanwhile.
    done = desk.classify(other, actor="li-na", now=at("2026-11-23 09:27"), type="cleaning_late")
    assert done.status == "classified"
    assert delivering.is_alive()  # the verb finished while the delivery was still in flight

    gateway.release.set()
    delivering.join(30)
    assert [n.status for n in outbox_page(desk, "all").rows] == ["sent"]
    desk.engine.dispose()


class DiesMidSend:
    """The sweeping process stops in the middle of a send (killed, interrupted): nothing recorded."""

    def send(self, notification: object) -> None:
        raise KeyboardInterrupt


class Recorder:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, notification: object) -> None:
        self.sent.append(notification.id)  # type: ignore[attr-defined]


def test_a_notice_claimed_by_a_sender_that_died_is_sent_after_its_lease(tmp_path: Path) -> None:
    desk = open_desk(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path)
    person = {"name": "王建国", "phone": "13812345678", "description": "楼道三周没人打扫"}
    desk.file(actor="li-na", now=at("2026-11-23 09:00"), family="property", complainant=person)
    desk.fire_due_timers(at("2026-11-23 09:25"))
    with pytest.raises(KeyboardInterrupt):
        desk.deliver_notifications(DiesMidSend(), at("2026-11-23 09:26"))
    other_sweeper = Recorder()
    assert desk.deliver_notifications(other_sweeper, at("2026-11-23 09:30")).sent == []  # still claimed
    later = desk.deliver_notifications(other_sweeper, at("2026-11-23 09:42"))  # the 15-minute lease is over
    assert later.sent == other_sweeper.sent and len(later.sent) == 1
    assert [n.status for n in outbox_page(desk, "all").rows] == ["sent"]
    desk.engine.dispose()
