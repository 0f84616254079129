"""Delivering what the outbox owes: a notifier port with a log adapter and a webhook adapter.

A notification names a person id, a complaint number and what happened (stage, level,
action); never the complainant. Gateways for SMS or e-mail sit behind the webhook and
look people up themselves.

Every webhook request is signed (README, "Webhook signatures"): `X-Desk-Signature: sha256=<hex>`
is HMAC-SHA256, keyed with DESK_NOTIFY_SECRET, of `<X-Desk-Timestamp>.<X-Desk-Delivery>.<body>`.
The delivery id is the outbox row's (`desk-<id>`), the same on every retry of that notice, so a
receiver drops what it already processed; the timestamp (unix seconds) lets it drop old requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from desk.config import Settings
from desk.errors import BadInput
from desk.privacy import mask_phone

SIGNATURE_HEADER = "X-Desk-Signature"
DELIVERY_HEADER = "X-Desk-Delivery"
TIMESTAMP_HEADER = "X-Desk-Timestamp"
TOLERANCE = 300.0  # seconds a receiver accepts between a request's timestamp and its own clock
NO_SECRET = ("A webhook needs a secret to sign its requests with: set DESK_NOTIFY_SECRET to the secret "
             "the receiver checks X-Desk-Signature with, or unset DESK_NOTIFY_URL to write notices to the log file.")
_STAMP = re.compile(r"[0-9]{1,12}")
_DELIVERY = re.compile(r"[A-Za-z0-9_-]{1,200}")  # no '.': the signed message splits on it


@dataclass(frozen=True)
class Notification:
    id: int
    recipient: str
    number: str
    kind: str
    payload: dict[str, Any]
    # Only for satisfaction requests to the complainant: phone and e-mail, read from the
    # complainants table at delivery. Adapters that write anywhere must mask it.
    contact: dict[str, str | None] | None = None


class Notifier(Protocol):
    def send(self, notification: Notification) -> None:
        """Delivers or raises; a raise means: try again later."""


class LogNotifier:
    """The default: one JSON line per notification in a file that operations can tail."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, notification: Notification) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = asdict(notification)
        if notification.contact is not None:  # a log is not a place for phone numbers
            line["contact"] = {"phone": mask_phone(notification.contact.get("phone")),
                               "email": "***" if notification.contact.get("email") else None}
        with self.path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


class WebhookNotifier:
    """POSTs each notification as JSON to a gateway (SMS, e-mail, chat), signed with `secret`;
    non-2xx means retry. Built without a secret, it refuses (BadInput) rather than send unsigned."""

    def __init__(self, url: str, secret: str | bytes | None, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        if secret is None or not secret.strip():
            raise BadInput(NO_SECRET)
        self.url, self.timeout, self.clock = url, timeout, clock
        self._key = _key(secret)

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"WebhookNotifier({self.url!r})"

    def send(self, notification: Notification) -> None:
        body = json.dumps(asdict(notification), ensure_ascii=False, default=str).encode("utf-8")
        timestamp, delivery = str(int(self.clock())), delivery_id(notification)
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp, DELIVERY_HEADER: delivery,
                   SIGNATURE_HEADER: signature(self._key, timestamp, delivery, body)}
        import urllib.request  # here: a command that sends nothing skips loading http, ssl and email

        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered {response.status}")


def delivery_id(notification: Notification) -> str:
    """`desk-<outbox row id>`: one notice, one id, however many times it is retried."""
    return f"desk-{notification.id}"


def signature(secret: str | bytes, timestamp: str, delivery: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<delivery>.<body>`, body as the exact bytes sent."""
    message = f"{timestamp}.{delivery}.".encode() + body
    return "sha256=" + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes | str, body: bytes, headers: Mapping[str, str], now: float,
                     tolerance: float = TOLERANCE) -> bool:
    """For a receiver: True when `headers` (names in any case) sign exactly `body` with `secret`
    and their timestamp is within `tolerance` seconds of `now`, either way. The comparison takes
    the same time however much of the signature matches. Replays inside the tolerance carry a
    delivery id the receiver has seen: dropping those is the receiver's part. An empty secret
    raises ValueError: a receiver without one must not accept anything."""
    key = _key(secret)
    found = {name.lower(): value for name, value in headers.items()}
    stamp = found.get(TIMESTAMP_HEADER.lower(), "")
    delivery = found.get(DELIVERY_HEADER.lower(), "")
    given = found.get(SIGNATURE_HEADER.lower(), "")
    if not (_STAMP.fullmatch(stamp) and _DELIVERY.fullmatch(delivery)) or abs(now - int(stamp)) > tolerance:
        return False
    expected = signature(key, stamp, delivery, body)
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError("an empty secret signs and verifies nothing")
    return key


def notifier_from(url: str | None, home: Path, secret: str | bytes | None = None,
                  clock: Callable[[], float] = time.time) -> Notifier:
    """DESK_NOTIFY_URL set: the webhook, signing with `secret` (by default DESK_NOTIFY_SECRET;
    refused with BadInput when there is none); otherwise the log file under DESK_HOME."""
    if not url:
        return LogNotifier(home / "notifications.log")
    return WebhookNotifier(url, Settings.from_env().notify_secret if secret is None else secret, clock=clock)
