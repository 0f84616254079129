"""timer lanes: the tier that per-tier sweeps range-scan, on timers and outbox; notices about the desk itself

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps the condition it was created with.
PENDING = "fired_at IS NULL AND done_at IS NULL"
ESCALATIONS = f"{PENDING} AND kind IN ('stage_deadline', 'escalation', 'evidence_deadline')"
CALLBACKS = f"{PENDING} AND kind IN ('revisit', 'revisit_expiry')"
OWED = "delivered_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier", sa.String(length=16), nullable=True))
    # Existing timers join their complaint's lane; unclassified complaints are swept as urgent.
    op.execute("UPDATE timers SET tier = COALESCE("
               "(SELECT complaints.tier FROM complaints WHERE complaints.id = timers.complaint_id), 'urgent')")
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.alter_column("tier", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_index("ix_timers_pending_due", sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
        batch_op.create_index("ix_timers_due_escalations", ["tier", "due_at"], unique=False,
                              sqlite_where=sa.text(ESCALATIONS), postgresql_where=sa.text(ESCALATIONS))
        batch_op.create_index("ix_timers_due_callbacks", ["tier", "due_at"], unique=False,
                              sqlite_where=sa.text(CALLBACKS), postgresql_where=sa.text(CALLBACKS))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("complaint_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("tier", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_dedupe_key"), ["dedupe_key"])
    op.execute("UPDATE outbox SET tier = COALESCE("
               "(SELECT complaints.tier FROM complaints WHERE complaints.id = outbox.complaint_id), 'urgent')")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("tier", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_index("ix_outbox_pending", sqlite_where=sa.text(OWED), postgresql_where=sa.text(OWED))
        batch_op.create_index("ix_outbox_pending", ["tier", "next_attempt_at"], unique=False,
                              sqlite_where=sa.text(OWED), postgresql_where=sa.text(OWED))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending", sqlite_where=sa.text(OWED), postgresql_where=sa.text(OWED))
        batch_op.create_index("ix_outbox_pending", ["next_attempt_at"], unique=False,
                              sqlite_where=sa.text(OWED), postgresql_where=sa.text(OWED))
        batch_op.drop_constraint(batch_op.f("uq_outbox_dedupe_key"), type_="unique")
        batch_op.drop_column("dedupe_key")
        batch_op.drop_column("tier")
    op.execute("DELETE FROM outbox WHERE complaint_id IS NULL")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("complaint_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_due_callbacks", sqlite_where=sa.text(CALLBACKS),
                            postgresql_where=sa.text(CALLBACKS))
        batch_op.drop_index("ix_timers_due_escalations", sqlite_where=sa.text(ESCALATIONS),
                            postgresql_where=sa.text(ESCALATIONS))
        batch_op.create_index("ix_timers_pending_due", ["due_at"], unique=False, sqlite_where=sa.text(PENDING),
                              postgresql_where=sa.text(PENDING))
        batch_op.drop_column("tier")
