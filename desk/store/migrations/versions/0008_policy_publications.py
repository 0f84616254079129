"""policy publications: who published a policy version from the console's workbench

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column added in place: versions first seen in a policy file name no publisher.
    with op.batch_alter_table("policy_versions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("published_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("policy_versions", schema=None) as batch_op:
        batch_op.drop_column("published_by")
