"""The registry door: API keys, registry logins, thing types, and a registry name and data on domains.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create api_keys, registry_tokens and thing_types; add domains.display_name and domains.data."""
    with op.batch_alter_table("domains") as batch:
        batch.add_column(sa.Column("display_name", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("data", sa.Text(), nullable=False, server_default="{}"))
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("published_key", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "registry_tokens",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("access_hash", sa.Text(), nullable=False),
        sa.Column("access_expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_hash", sa.Text(), nullable=False),
        sa.Column("refresh_expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registry_tokens"),
    )
    op.create_index("ix_registry_tokens_username", "registry_tokens", ["username"])
    op.create_table(
        "thing_types",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("resources", sa.Text(), nullable=False),
        sa.Column("virtual_resources", sa.Text(), nullable=False),
        sa.Column("lock_mappings", sa.Boolean(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_thing_types"),
    )
    op.create_index("ix_thing_types_domain", "thing_types", ["domain"])


def downgrade() -> None:
    """Drop the registry's tables and the domains' registry columns."""
    op.drop_index("ix_thing_types_domain", table_name="thing_types")
    op.drop_table("thing_types")
    op.drop_index("ix_registry_tokens_username", table_name="registry_tokens")
    op.drop_table("registry_tokens")
    op.drop_table("api_keys")
    with op.batch_alter_table("domains") as batch:
        batch.drop_column("data")
        batch.drop_column("display_name")
