"""asks: referrals and extensions waiting on a leader, by person, for their queue

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:30:00

Nothing to fill in from existing records: referrals and extensions arrived with 0012 and land
together with this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import desk.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ask_no", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("about", sa.String(length=64), nullable=False),
        sa.Column("asked_by", sa.String(length=64), nullable=False),
        sa.Column("asked_at", desk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", desk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_asks_complaint_id_complaints"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asks")),
    )
    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asks_person_answered_at"), ["person", "answered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_asks_complaint_id_kind_ask_no"), ["complaint_id", "kind", "ask_no"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("asks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asks_complaint_id_kind_ask_no"))
        batch_op.drop_index(batch_op.f("ix_asks_person_answered_at"))
    op.drop_table("asks")
