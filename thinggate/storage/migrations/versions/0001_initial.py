"""The initial schema: things, cached states, plugin configurations, IO connections, history, users, tokens, domains.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written out in full rather than from `tables.metadata`, so that later changes to the tables
need (and get) their own revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UUID = 36  # canonical UUID text


def upgrade() -> None:
    """Create every table of the store."""
    op.create_table(
        "things",
        sa.Column("id", sa.String(_UUID), nullable=False),
        sa.Column("thing_class_id", sa.String(_UUID), nullable=False),
        sa.Column("plugin_id", sa.String(_UUID), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.String(_UUID), nullable=True),
        sa.Column("auto_created", sa.Boolean(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("room", sa.Text(), nullable=False),
        sa.Column("logged_state_type_ids", sa.Text(), nullable=False),
        sa.Column("logged_event_type_ids", sa.Text(), nullable=False),
        sa.Column("logged_action_type_ids", sa.Text(), nullable=False),
        sa.Column("state_filters", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_things"),
    )
    op.create_table(
        "thing_states",
        sa.Column("thing_id", sa.String(_UUID), nullable=False),
        sa.Column("state_type_id", sa.String(_UUID), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("thing_id", "state_type_id", name="pk_thing_states"),
    )
    op.create_table(
        "plugin_configurations",
        sa.Column("plugin_id", sa.String(_UUID), nullable=False),
        sa.Column("configuration", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("plugin_id", name="pk_plugin_configurations"),
    )
    op.create_table(
        "io_connections",
        sa.Column("id", sa.String(_UUID), nullable=False),
        sa.Column("input_thing_id", sa.String(_UUID), nullable=False),
        sa.Column("input_state_type_id", sa.String(_UUID), nullable=False),
        sa.Column("output_thing_id", sa.String(_UUID), nullable=False),
        sa.Column("output_state_type_id", sa.String(_UUID), nullable=False),
        sa.Column("inverted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_io_connections"),
    )
    op.create_index("ix_io_connections_input_thing_id", "io_connections", ["input_thing_id"])
    op.create_index("ix_io_connections_output_thing_id", "io_connections", ["output_thing_id"])
    op.create_table(
        "history",
        # SQLite auto-increments only a column declared exactly INTEGER PRIMARY KEY.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thing_id", sa.String(_UUID), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("type_id", sa.String(_UUID), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_history"),
    )
    op.create_index("ix_history_thing_type", "history", ["thing_id", "type_id", "id"])
    op.create_index("ix_history_thing", "history", ["thing_id", "id"])
    op.create_table(
        "users",
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("home_domain", sa.Text(), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("allowed_thing_ids", sa.Text(), nullable=False),
        sa.Column("privileges", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_users"),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(_UUID), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("device_name", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tokens"),
    )
    op.create_index("ix_tokens_username", "tokens", ["username"])
    op.create_table(
        "domains",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_domains"),
    )


def downgrade() -> None:
    """Drop every table of the store."""
    tables = ("domains", "tokens", "users", "history", "io_connections", "plugin_configurations", "thing_states")
    for table in (*tables, "things"):
        op.drop_table(table)  # its indexes go with it
