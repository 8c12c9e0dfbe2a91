"""The lifecycle events' outbox: written with the change it reports, published in order, kept for `/events`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite only auto-increments a column declared exactly "INTEGER PRIMARY KEY"; PostgreSQL gets 64 bits.
_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the outbox table and its indexes."""
    op.create_table(
        "outbox",
        sa.Column("sequence", _SEQUENCE, nullable=False, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("domain_path", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("classification", sa.Text(), nullable=False),
        sa.Column("acknowledgement_required", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_at", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name="pk_outbox"),
        sa.UniqueConstraint("id", name="uq_outbox_id"),
    )
    op.create_index("ix_outbox_timestamp", "outbox", ["timestamp"])
    op.create_index("ix_outbox_domain", "outbox", ["domain"])
    op.create_index("ix_outbox_pending", "outbox", ["published", "sequence"])


def downgrade() -> None:
    """Drop the outbox."""
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_index("ix_outbox_domain", table_name="outbox")
    op.drop_index("ix_outbox_timestamp", table_name="outbox")
    op.drop_table("outbox")
