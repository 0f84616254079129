"""Delivering what the outbox owes: a notifier port with a log adapter and a webhook adapter.

A notification names a person id, a complaint number and what happened (stage, level,
action); never the complainant. Gateways for SMS or e-mail sit behind the webhook and
look people up themselves.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from desk.privacy import mask_phone


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
    """POSTs each notification as JSON to a gateway (SMS, e-mail, chat); non-2xx means retry."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url, self.timeout = url, timeout

    def send(self, notification: Notification) -> None:
        body = json.dumps(asdict(notification), ensure_ascii=False, default=str).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered {response.status}")


def notifier_from(url: str | None, home: Path) -> Notifier:
    """DESK_NOTIFY_URL set: the webhook; otherwise the log file under DESK_HOME."""
    return WebhookNotifier(url) if url else LogNotifier(home / "notifications.log")
