"""paused timers: held_since keeps a paused complaint's deadlines out of the sweeps; escalations: all but callbacks

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import desk.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported: a migration keeps the condition it was created with.
PENDING = "fired_at IS NULL AND done_at IS NULL"
ESCALATIONS = f"{PENDING} AND kind IN ('stage_deadline', 'escalation', 'evidence_deadline')"
CALLBACKS = f"{PENDING} AND kind IN ('revisit', 'revisit_expiry')"
UNHELD = f"{PENDING} AND held_since IS NULL"
# Every kind but the callbacks' is swept as an escalation: a new kind of timer needs no new index.
HELD_ESCALATIONS = f"{UNHELD} AND kind NOT IN ('revisit', 'revisit_expiry')"
HELD_CALLBACKS = f"{UNHELD} AND kind IN ('revisit', 'revisit_expiry')"


def _recreate(escalations: str, callbacks: str, old_escalations: str, old_callbacks: str) -> None:
    # A partial index's condition cannot change in place; the sweeps' queries repeat it word for word.
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_due_escalations", sqlite_where=sa.text(old_escalations),
                            postgresql_where=sa.text(old_escalations))
        batch_op.drop_index("ix_timers_due_callbacks", sqlite_where=sa.text(old_callbacks),
                            postgresql_where=sa.text(old_callbacks))
        batch_op.create_index("ix_timers_due_escalations", ["tier", "due_at"], unique=False,
                              sqlite_where=sa.text(escalations), postgresql_where=sa.text(escalations))
        batch_op.create_index("ix_timers_due_callbacks", ["tier", "due_at"], unique=False,
                              sqlite_where=sa.text(callbacks), postgresql_where=sa.text(callbacks))


def upgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_since", desk.store.types.UTCDateTime(timezone=True), nullable=True))
    _recreate(HELD_ESCALATIONS, HELD_CALLBACKS, ESCALATIONS, CALLBACKS)


def downgrade() -> None:
    _recreate(ESCALATIONS, CALLBACKS, HELD_ESCALATIONS, HELD_CALLBACKS)
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_column("held_since")
