"""operations: the Prefect flow run that fired each timer, and the outbox's give-ups and operators' retries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import desk.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps the conditions it was created with.
FIRED = "fired_at IS NOT NULL"
RETRIED = "retried_at IS NOT NULL"
GAVE_UP_AFTER = 8  # Desk.deliver_notifications' max_attempts when this migration was written


def upgrade() -> None:
    # Columns and indexes added in place (recreate="never"): SQLite adds them without rebuilding
    # a table, and a rebuild of `timers` would copy every timer the desk holds.
    with op.batch_alter_table("timers", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("fired_by_run", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_timers_fired", ["fired_at"], unique=False,
                              sqlite_where=sa.text(FIRED), postgresql_where=sa.text(FIRED))
    with op.batch_alter_table("outbox", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("gave_up_at", desk.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retried_at", desk.store.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retried_by", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_outbox_retried", ["retried_at"], unique=False,
                              sqlite_where=sa.text(RETRIED), postgresql_where=sa.text(RETRIED))
    # Notices the desk had already stopped trying: when it stopped was not kept, so the time they
    # were owed stands in for it; they now show as failed, waiting for an operator.
    op.execute("UPDATE outbox SET gave_up_at = created_at "
               f"WHERE delivered_at IS NULL AND attempts >= {GAVE_UP_AFTER}")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_outbox_retried", sqlite_where=sa.text(RETRIED), postgresql_where=sa.text(RETRIED))
        batch_op.drop_column("retried_by")
        batch_op.drop_column("retried_at")
        batch_op.drop_column("gave_up_at")
    with op.batch_alter_table("timers", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_timers_fired", sqlite_where=sa.text(FIRED), postgresql_where=sa.text(FIRED))
        batch_op.drop_column("fired_by_run")
