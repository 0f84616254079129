"""The desk's tables. Created and changed only through the Alembic migrations beside this file.

Personal data (names, phones, addresses, what was said) lives only in `complainants`;
every other table, and everything that leaves the database, carries complaint numbers.

Plain Core tables on one MetaData (what the migrations compare with): the desk writes SQL, never
ORM objects, and leaving sqlalchemy.orm unimported keeps `desk show` quick to start.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
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

from desk.lanes import CALLBACK_KINDS, ESCALATION_KINDS
from desk.store.types import Json, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

metadata = MetaData(naming_convention=NAMING)


complaints = Table(
    "complaints", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("idempotency_key", String(128), unique=True),
    # Who filed it from outside (an integration account) and under which reference of theirs
    # (a 12345 工单号, a call id): unique per source, so a re-sent complaint is filed once.
    Column("source", String(64)),
    Column("external_id", String(128)),
    # A digest of the intake as filed: the same key with a different body is refused, not replayed.
    Column("intake_digest", String(64)),
    Column("family", String(16), nullable=False),
    Column("type", String(64)),
    Column("tier", String(16)),
    Column("status", String(32), nullable=False),
    Column("first_responder", String(64), nullable=False),
    Column("handler", String(64), nullable=False),
    Column("department", String(64)),
    Column("channel", String(16), nullable=False),
    Column("policy_version", String(64)),
    Column("round", Integer, nullable=False, default=1),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=1),  # optimistic lock: bumped by every save
    Column("received_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The rest of the aggregate (findings, resolutions, revisits, escalations, evidence...),
    # written whole with the row so that a complaint loads in one read.
    Column("record", Json, nullable=False),
    Index(None, "status", "tier"),
    Index(None, "handler", "status"),  # a person's queue: their open complaints (migration 0011)
    Index(None, "first_responder", "status"),
    Index(None, "source", "external_id", unique=True),
)

# Who complained: kept apart, never copied into events, timers, logs or Prefect.
complainants = Table(
    "complainants", metadata,
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(40)),
    Column("email", String(200)),
    Column("address", String(500)),
    Column("description", Text, nullable=False),  # what happened, in their words
    Column("request", Text),  # what they ask for
    # The rest of the registration form (登记表): when and where it happened, people involved,
    # and for a shop's complaint its order, shop and trade-success date.
    Column("details", Json),
)

# The audit trail: append-only, one row per accepted trigger (and the receipt).
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("name", String(40), nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("source", String(32)),
    Column("dest", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("data", Json, nullable=False),
    UniqueConstraint("complaint_id", "seq"),
)

handoffs = Table(
    "handoffs", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_handler", String(64), nullable=False),
    Column("to_handler", String(64), nullable=False),
    Column("to_department", String(64)),
    Column("reason", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("bounce", Boolean, nullable=False),
    UniqueConstraint("complaint_id", "seq"),
)

approvals = Table(
    "approvals", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False),
    Column("approval_no", Integer, nullable=False),
    Column("action", String(40), nullable=False),
    Column("amount", Numeric(12, 2)),
    Column("requested_by", String(64), nullable=False),
    Column("approver", String(64), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_at", UTCDateTime()),
    Column("note", Text),
    Column("cosigner", String(64)),  # 会同: the second decider, if any
    Column("signed_by", Json),
    UniqueConstraint("complaint_id", "approval_no"),
    Index(None, "approver", "status"),
)


def pending_of(kinds: tuple[str, ...]) -> str:
    """The partial indexes' condition, as text: a query uses such an index only when its own WHERE
    repeats the condition (SQLite wants the very terms), so the sweep's queries use this text too.
    The escalations lane is every kind but the callbacks': a new kind of timer needs no new index."""
    callbacks = ", ".join(repr(k) for k in CALLBACK_KINDS)
    which = f"kind IN ({callbacks})" if tuple(kinds) == CALLBACK_KINDS else f"kind NOT IN ({callbacks})"
    return f"fired_at IS NULL AND done_at IS NULL AND held_since IS NULL AND {which}"


PENDING_ESCALATIONS = pending_of(ESCALATION_KINDS)
PENDING_CALLBACKS = pending_of(CALLBACK_KINDS)

# A deadline as data: fired once (unique key), cleared when its stage is met.
timers = Table(
    "timers", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(24), nullable=False),  # desk.lanes.Kind
    # The tier whose sweeps fire it (desk.lanes): the complaint's, urgent before classification.
    Column("tier", String(16), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("level", Integer, nullable=False),  # ladder level / revisit attempt; 0 for a stage deadline
    Column("round", Integer, nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("fired_at", UTCDateTime()),
    # The Prefect flow run (its id) whose sweep fired it: operations follow a fired escalation
    # to that run's page. None when fired outside Prefect (`desk sweep`, tests).
    Column("fired_by_run", String(64)),
    Column("done_at", UTCDateTime()),
    # Set while a pause (states.Pause, its start) holds it: not swept; on resume it moves by the
    # paused time and runs again.
    Column("held_since", UTCDateTime()),
    Column("met_by", Json, nullable=False),  # states whose entry clears it
    Column("detail", Json, nullable=False),  # action, notify roles, on_expiry trigger
    UniqueConstraint("complaint_id", "kind", "stage", "level", "round"),
    # "What is due now in this lane" is a range scan over one tier's pending rows of one job.
    Index("ix_timers_due_escalations", "tier", "due_at", sqlite_where=text(PENDING_ESCALATIONS),
          postgresql_where=text(PENDING_ESCALATIONS)),
    Index("ix_timers_due_callbacks", "tier", "due_at", sqlite_where=text(PENDING_CALLBACKS),
          postgresql_where=text(PENDING_CALLBACKS)),
    Index(None, "complaint_id", "done_at"),
    # "Fired today", and breaches over a report's range: a range scan over fired rows only.
    Index("ix_timers_fired", "fired_at", sqlite_where=text("fired_at IS NOT NULL"),
          postgresql_where=text("fired_at IS NOT NULL")),
)

# The organisation directory, synced from policies/org.yaml.
people = Table(
    "people", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("department", String(64)),
    Column("roles", Json, nullable=False),
    Column("on_duty", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
)

departments = Table(
    "departments", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("head", String(64)),
)

# Every policy version a complaint was classified under, kept so its later deadlines
# (feedback, revisits) follow the version it started with, not today's file.
policy_versions = Table(
    "policy_versions", metadata,
    Column("id", Integer, primary_key=True),
    Column("family", String(16), nullable=False),
    Column("version", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
    Column("published_by", String(64)),  # who published it from the workbench; none when read from a file
    UniqueConstraint("family", "version"),
)

# Per-year complaint number sequences (TS-2026-000123), bumped inside the filing transaction.
counters = Table(
    "counters", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

# A personal API token: only its SHA-256 digest is kept; the token is shown once.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("person", String(64), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("label", String(200)),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# Every time someone saw a complainant's details unmasked: who, when, which complaint, through what.
unmaskings = Table(
    "unmaskings", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("person", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("via", String(16), nullable=False),  # cli | api | console
)

# What an owner asked of a leader and is not answered yet (a referral, an extension to decide),
# one row per person asked: the leader's queue lists theirs. The complaint's record keeps the
# ask itself; this is its index by person, closed when the answer or the decision is recorded.
asks = Table(
    "asks", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # referral | extension
    Column("ask_no", Integer, nullable=False),  # the referral's or the extension's number on the record
    Column("person", String(64), nullable=False),  # a person id from the directory
    Column("about", String(64), nullable=False),  # the stage to extend; whom the referral was to
    Column("asked_by", String(64), nullable=False),
    Column("asked_at", UTCDateTime(), nullable=False),
    Column("answered_at", UTCDateTime()),
    Index(None, "person", "answered_at"),
    Index(None, "complaint_id", "kind", "ask_no"),
)

# A trigger the desk said no to (wrong state, no authority, a stale version): who asked
# for what, when, and the reason they were given. Kept apart from `events`, which holds only
# what happened, so a refusal never changes the complaint or its version.
refusals = Table(
    "refusals", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE"), nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    # wrong_state | not_permitted | refused_by_rule | conflict | bad_input
    Column("kind", String(24), nullable=False),
    Column("status", String(32), nullable=False),  # the complaint's state when it was asked
    Column("reason", Text, nullable=False),
    Index(None, "complaint_id"),
)

# Notifications owed (escalation notices, callback requests), written in the transaction that
# owes them and delivered afterwards with retries. Person ids and complaint numbers only.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    # None for a notice about the desk itself (an urgent sweep that failed or stalled).
    Column("complaint_id", Integer, ForeignKey("complaints.id", ondelete="CASCADE")),
    Column("number", String(32), nullable=False),
    Column("recipient", String(64), nullable=False),  # a person id from the directory
    Column("kind", String(32), nullable=False),  # escalation | callback_due | duty_alert ...
    # The lane tier of what owes it: each tier's sweeps deliver their own notices first, so an
    # urgent notice never queues behind a general backlog's (duty alerts are urgent).
    Column("tier", String(16), nullable=False),
    # What a notice asked for from outside (a Prefect automation's event) is owed once per key,
    # however often the automation fires for the same event.
    Column("dedupe_key", String(200), unique=True),
    Column("payload", Json, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", UTCDateTime()),
    Column("last_error", Text),
    # Set when the desk stopped retrying (Desk.deliver_notifications' max_attempts): the notice
    # waits for an operator. An operator's retry clears it and is recorded: who and when, last.
    Column("gave_up_at", UTCDateTime()),
    Column("retried_at", UTCDateTime()),
    Column("retried_by", String(64)),
    Index("ix_outbox_retried", "retried_at", sqlite_where=text("retried_at IS NOT NULL"),
          postgresql_where=text("retried_at IS NOT NULL")),
    Index("ix_outbox_pending", "tier", "next_attempt_at", sqlite_where=text("delivered_at IS NULL"),
          postgresql_where=text("delivered_at IS NULL")),
    Index("ix_outbox_complaint", "complaint_id"),  # the complaint page's notices
)

# What-if replays asked from the console and run as a Prefect flow (policy-whatif): the draft,
# how far the run has got, and its result (counts and complaint numbers only), for the page
# that watches it. A row per request; nothing else refers to it.
replays = Table(
    "replays", metadata,
    Column("id", Integer, primary_key=True),
    Column("family", String(16), nullable=False),
    Column("days", Integer, nullable=False),
    Column("draft", Text, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("flow_run_id", String(64)),
    Column("finished_at", UTCDateTime()),
    Column("error", Text),
    Column("result", Json),
)
