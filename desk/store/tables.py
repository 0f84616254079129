"""The desk's tables. Created and changed only through the Alembic migrations beside this file.

Personal data (names, phones, addresses, what was said) lives only in `complainants`;
every other table, and everything that leaves the database, carries complaint numbers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desk.lanes import CALLBACK_KINDS, ESCALATION_KINDS
from desk.store.types import Json, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ComplaintRow(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # Who filed it from outside (an integration account) and under which reference of theirs
    # (a 12345 工单号, a call id): unique per source, so a re-sent complaint is filed once.
    source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    # A digest of the intake as filed: the same key with a different body is refused, not replayed.
    intake_digest: Mapped[str | None] = mapped_column(String(64))
    family: Mapped[str] = mapped_column(String(16))
    type: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    first_responder: Mapped[str] = mapped_column(String(64))
    handler: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str | None] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer, default=1)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock: bumped by every save
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The rest of the aggregate (findings, resolutions, revisits, escalations, evidence...),
    # written whole with the row so that a complaint loads in one read.
    record: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (
        Index(None, "status", "tier"),
        Index(None, "handler"),
        Index(None, "first_responder"),
        Index(None, "source", "external_id", unique=True),
    )


class ComplainantRow(Base):
    """Who complained: kept apart, never copied into events, timers, logs or Prefect."""

    __tablename__ = "complainants"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)  # what happened, in their words
    request: Mapped[str | None] = mapped_column(Text)  # what they ask for
    # The rest of the registration form (登记表): when and where it happened, people involved,
    # and for a shop's complaint its order, shop and trade-success date.
    details: Mapped[dict[str, Any] | None] = mapped_column(Json)


class EventRow(Base):
    """The audit trail: append-only, one row per accepted trigger (and the receipt)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(32))
    dest: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)


class HandOffRow(Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    from_handler: Mapped[str] = mapped_column(String(64))
    to_handler: Mapped[str] = mapped_column(String(64))
    to_department: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    bounce: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    approval_no: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    requested_by: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    cosigner: Mapped[str | None] = mapped_column(String(64))  # 会同: the second decider, if any
    signed_by: Mapped[list[str] | None] = mapped_column(Json)

    __table_args__ = (UniqueConstraint("complaint_id", "approval_no"), Index(None, "approver", "status"))


def pending_of(kinds: tuple[str, ...]) -> str:
    """The partial indexes' condition, as text: a query uses such an index only when its own WHERE
    repeats the condition (SQLite wants the very terms), so the sweep's queries use this text too."""
    return f"fired_at IS NULL AND done_at IS NULL AND kind IN ({', '.join(repr(k) for k in kinds)})"


PENDING_ESCALATIONS = pending_of(ESCALATION_KINDS)
PENDING_CALLBACKS = pending_of(CALLBACK_KINDS)


class TimerRow(Base):
    """A deadline as data: fired once (unique key), cleared when its stage is met."""

    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # stage_deadline | escalation | revisit | evidence_deadline
    # The tier whose sweeps fire it (desk.lanes): the complaint's, urgent before classification.
    tier: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)  # ladder level / revisit attempt; 0 for a stage deadline
    round: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_by: Mapped[list[str]] = mapped_column(Json)  # states whose entry clears it
    detail: Mapped[dict[str, Any]] = mapped_column(Json)  # action, notify roles, on_expiry trigger

    __table_args__ = (
        UniqueConstraint("complaint_id", "kind", "stage", "level", "round"),
        # "What is due now in this lane" is a range scan over one tier's pending rows of one job.
        Index("ix_timers_due_escalations", "tier", "due_at", sqlite_where=text(PENDING_ESCALATIONS),
              postgresql_where=text(PENDING_ESCALATIONS)),
        Index("ix_timers_due_callbacks", "tier", "due_at", sqlite_where=text(PENDING_CALLBACKS),
              postgresql_where=text(PENDING_CALLBACKS)),
        Index(None, "complaint_id", "done_at"),
    )


class PersonRow(Base):
    """The organisation directory, synced from policies/org.yaml."""

    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(Json)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DepartmentRow(Base):
    __tablename__ = "departments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    head: Mapped[str | None] = mapped_column(String(64))


class PolicyVersionRow(Base):
    """Every policy version a complaint was classified under, kept so its later deadlines
    (feedback, revisits) follow the version it started with, not today's file."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("family", "version"),)


class CounterRow(Base):
    """Per-year complaint number sequences (TS-2026-000123), bumped inside the filing transaction."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class ApiTokenRow(Base):
    """A personal API token: only its SHA-256 digest is kept; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UnmaskingRow(Base):
    """Every time someone saw a complainant's details unmasked: who, when, which complaint, through what."""

    __tablename__ = "unmaskings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    person: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(16))  # cli | api | console


# Core handles on the tables, typed as such (an ORM class's __table__ is typed as a FromClause).
complaints = cast(Table, ComplaintRow.__table__)
complainants = cast(Table, ComplainantRow.__table__)
events = cast(Table, EventRow.__table__)
handoffs = cast(Table, HandOffRow.__table__)
approvals = cast(Table, ApprovalRow.__table__)
timers = cast(Table, TimerRow.__table__)
people = cast(Table, PersonRow.__table__)
departments = cast(Table, DepartmentRow.__table__)
policy_versions = cast(Table, PolicyVersionRow.__table__)
counters = cast(Table, CounterRow.__table__)
api_tokens = cast(Table, ApiTokenRow.__table__)
unmaskings = cast(Table, UnmaskingRow.__table__)


class RefusalRow(Base):
    """A trigger the desk said no to (wrong state, no authority, a stale version): who asked
    for what, when, and the reason they were given. Kept apart from `events`, which holds only
    what happened, so a refusal never changes the complaint or its version."""

    __tablename__ = "refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # wrong_state | not_permitted | refused_by_rule | conflict | bad_input
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(32))  # the complaint's state when it was asked
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index(None, "complaint_id"),)


refusals = cast(Table, RefusalRow.__table__)


class OutboxRow(Base):
    """Notifications owed (escalation notices, callback requests), written in the transaction that
    owes them and delivered afterwards with retries. Person ids and complaint numbers only."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None for a notice about the desk itself (an urgent sweep that failed or stalled).
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))  # a person id from the directory
    kind: Mapped[str] = mapped_column(String(32))  # escalation | callback_due | duty_alert ...
    # The lane tier of what owes it: each tier's sweeps deliver their own notices first, so an
    # urgent notice never queues behind a general backlog's (duty alerts are urgent).
    tier: Mapped[str] = mapped_column(String(16))
    # What a notice asked for from outside (a Prefect automation's event) is owed once per key,
    # however often the automation fires for the same event.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_pending", "tier", "next_attempt_at", sqlite_where=text("delivered_at IS NULL"),
              postgresql_where=text("delivered_at IS NULL")),
    )


outbox = cast(Table, OutboxRow.__table__)
