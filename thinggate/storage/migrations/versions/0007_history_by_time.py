"""History read by time: readings of one thing in a time range (the sensor-data door's observations).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index history by thing and time (a day's readings of a sensor among millions of rows)."""
    op.create_index("ix_history_thing_time", "history", ["thing_id", "timestamp", "id"])
    # Retention prunes by time alone.
    op.create_index("ix_history_time", "history", ["timestamp"])


def downgrade() -> None:
    """Drop the indexes."""
    op.drop_index("ix_history_time", table_name="history")
    op.drop_index("ix_history_thing_time", table_name="history")
