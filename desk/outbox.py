"""The outbox as operations see it: notices owed, retrying, given up (failed) and retried by an
operator, with their attempts and last error. Person ids and complaint numbers only: never the
payload or a complainant's contact, and an error text is scrubbed of anything phone- or
e-mail-like in case a gateway quoted one back.

Retrying is `Desk.retry_notification` (permission `operate` in policies/org.yaml).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from desk.errors import BadInput
from desk.redact import scrub
from desk.store import ops_queries
from desk.store.ops_queries import Show as Show  # re-exported: the choice of list a caller names
from desk.views import Delivery, View, delivery

if TYPE_CHECKING:
    from desk.service import Desk

Status = Delivery
SHOWS: tuple[Show, ...] = ("owed", "failed", "retried", "all")


class Notice(View):
    id: int
    number: str = Field(description="the complaint's number, `-` for a notice about the desk itself")
    tier: str
    kind: str = Field(description="escalation, callback_due, satisfaction_request, duty_alert ...")
    recipient: str = Field(description="a person id, or `complainant` (their contact is read only to send)")
    status: Status = Field(description="pending: not tried yet; retrying: failed, tried again at next_attempt_at; "
                                       "failed: the desk gave up, an operator may retry; sent")
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None = Field(description="none once sent or given up")
    created_at: datetime
    delivered_at: datetime | None
    gave_up_at: datetime | None
    retried_at: datetime | None = Field(description="an operator's last retry")
    retried_by: str | None


class OutboxCounts(View):
    pending: int
    retrying: int
    failed: int
    retried: int = Field(description="notices an operator retried, sent since or not")


class OutboxPage(View):
    show: Show
    counts: OutboxCounts
    rows: list[Notice]


def notice(row: dict[str, Any]) -> Notice:
    status = delivery(row)
    error = row["last_error"]
    return Notice(id=row["id"], number=row["number"], tier=row["tier"], kind=row["kind"],
                  recipient=row["recipient"], status=status, attempts=row["attempts"],
                  last_error=None if error is None else scrub(error),
                  next_attempt_at=row["next_attempt_at"] if status in ("pending", "retrying") else None,
                  created_at=row["created_at"], delivered_at=row["delivered_at"], gave_up_at=row["gave_up_at"],
                  retried_at=row["retried_at"], retried_by=row["retried_by"])


def outbox_page(desk: Desk, show: Show = "owed", limit: int = 200, *, reader: str | None = None) -> OutboxPage:
    """`owed`: every notice not sent yet, oldest first; `failed`: those that failed at least once
    (retrying or given up); `retried`: those an operator retried, latest first; `all`: newest first."""
    if show not in SHOWS:
        raise BadInput(f"show: '{show}' is not one of {', '.join(SHOWS)}")
    if not 1 <= limit <= 10_000:
        raise BadInput(f"limit: {limit} is not between 1 and 10000")
    if reader is not None:
        desk.directory.require_staff(reader, "read the outbox")
    with desk.reading() as uow:
        rows = ops_queries.outbox_rows(uow.connection, show, limit)
        counts = ops_queries.outbox_counts(uow.connection)
    return OutboxPage(show=show, counts=OutboxCounts(**counts), rows=[notice(row) for row in rows])
