"""outbox by complaint: the complaint page lists the notices sent about it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Without it each complaint page would scan the whole outbox (a row per notice ever owed).
    op.create_index("ix_outbox_complaint", "outbox", ["complaint_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_complaint", table_name="outbox")
