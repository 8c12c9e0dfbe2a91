"""HTTP digest secrets of users (the Thinknx door's digest authentication).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add users.digest_ha1 (a JSON object, empty for existing users until they log in once)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("digest_ha1", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Drop users.digest_ha1."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("digest_ha1")
