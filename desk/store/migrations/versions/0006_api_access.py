"""the HTTP API: callers' own references and intake digests on complaints, the registration form's
other facts, API tokens, and the record of every unmasking of a complainant

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import desk.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("intake_digest", sa.String(length=64), nullable=True))
        # Indexes, not table constraints: SQLite adds them without rebuilding `complaints`, and a
        # rebuild would cascade-delete the rows that refer to it.
        batch_op.create_index(batch_op.f("ix_complaints_source_external_id"), ["source", "external_id"], unique=True)
    with op.batch_alter_table("complainants", schema=None) as batch_op:
        json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
        batch_op.add_column(sa.Column("details", json, nullable=True))
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", desk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", desk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", desk.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("digest", name=op.f("uq_api_tokens_digest")),
    )
    op.create_table(
        "unmaskings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("at", desk.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"], name=op.f("fk_unmaskings_complaint_id_complaints"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmaskings")),
    )
    with op.batch_alter_table("unmaskings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unmaskings_complaint_id"), ["complaint_id"], unique=False)


def downgrade() -> None:
    op.drop_table("unmaskings")
    op.drop_table("api_tokens")
    with op.batch_alter_table("complainants", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("details")
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): never a rebuild, for the reason above.
    with op.batch_alter_table("complaints", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_source_external_id"))
        batch_op.drop_column("intake_digest")
        batch_op.drop_column("external_id")
        batch_op.drop_column("source")
