"""The storage schema as SQLAlchemy Core tables, the same on SQLite and PostgreSQL.

Ids are UUIDs stored as their 36-character text form and JSON values are stored as text
(encoded with msgspec), so that both databases hold byte-for-byte the same data. Timestamps
are stored in UTC and read back as timezone-aware UTC datetimes.

The Alembic migrations in `migrations/versions` create this schema; a test checks that the two
agree, so a change here needs a new migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

UUID_LENGTH = 36
"""Length of a UUID's canonical text form (8-4-4-4-12 hex digits)."""

# Deterministic constraint names, so that later migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""Every table of the store."""


def as_utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime (a naive value is taken to be UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC (naive values are taken to be UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite keeps no offset, so it gets the naive UTC time."""
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Read back as an aware UTC datetime whatever the database returned."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return as_utc(value)


def _uuid(name: str, **kwargs: Any) -> Column[str]:
    return Column(name, String(UUID_LENGTH), **kwargs)


# SQLite only auto-increments a column declared exactly "INTEGER PRIMARY KEY"; PostgreSQL gets 64 bits.
_HISTORY_ID = BigInteger().with_variant(Integer(), "sqlite")

things = Table(
    "things",
    metadata,
    _uuid("id", primary_key=True),
    _uuid("thing_class_id", nullable=False),
    _uuid("plugin_id", nullable=False),
    Column("name", Text, nullable=False),
    Column("params", Text, nullable=False),  # JSON object keyed by param type id
    Column("settings", Text, nullable=False),  # JSON object keyed by setting type id
    _uuid("parent_id", nullable=True),
    Column("auto_created", Boolean, nullable=False),
    Column("domain", Text, nullable=False),
    Column("room", Text, nullable=False),
    Column("logged_state_type_ids", Text, nullable=False),  # JSON array of ids
    Column("logged_event_type_ids", Text, nullable=False),
    Column("logged_action_type_ids", Text, nullable=False),
    Column("state_filters", Text, nullable=False),  # JSON object: state type id -> filter name
)

# No foreign keys to `things`: cached states are written behind and may arrive just after their
# thing was deleted; the store deletes dependants itself in the same transaction instead.
thing_states = Table(
    "thing_states",
    metadata,
    _uuid("thing_id", primary_key=True),
    _uuid("state_type_id", primary_key=True),
    Column("value", Text, nullable=False),  # JSON
)

plugin_configurations = Table(
    "plugin_configurations",
    metadata,
    _uuid("plugin_id", primary_key=True),
    Column("configuration", Text, nullable=False),  # JSON object keyed by param type id
)

hub_settings = Table(
    "hub_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
)

io_connections = Table(
    "io_connections",
    metadata,
    _uuid("id", primary_key=True),
    _uuid("input_thing_id", nullable=False, index=True),
    _uuid("input_state_type_id", nullable=False),
    _uuid("output_thing_id", nullable=False, index=True),
    _uuid("output_state_type_id", nullable=False),
    Column("inverted", Boolean, nullable=False),
)

history = Table(
    "history",
    metadata,
    Column("id", _HISTORY_ID, primary_key=True, autoincrement=True),
    Column("timestamp", UTCDateTime, nullable=False),
    _uuid("thing_id", nullable=False),
    Column("kind", String(16), nullable=False),  # "state", "event" or "action"
    _uuid("type_id", nullable=False),
    Column("value", Text, nullable=False),  # JSON
    # The newest entries of one thing (and one type) are read by descending id.
    Index("ix_history_thing_type", "thing_id", "type_id", "id"),
    Index("ix_history_thing", "thing_id", "id"),
    # Readings of one thing in a time range, in order (migration 0007); retention prunes by time.
    Index("ix_history_thing_time", "thing_id", "timestamp", "id"),
    Index("ix_history_time", "timestamp"),
)

users = Table(
    "users",
    metadata,
    Column("username", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("home_domain", Text, nullable=False),
    Column("roles", Text, nullable=False),  # JSON array of strings
    Column("scopes", Text, nullable=False),  # JSON array of strings
    Column("allowed_thing_ids", Text, nullable=False),  # JSON array of ids
    Column("privileges", Text, nullable=False),  # JSON array of objects
    # JSON object: algorithm -> H(user:realm:pw), for users who opted in to HTTP digest ({} otherwise)
    Column("digest_ha1", Text, nullable=False, server_default="{}"),
)

tokens = Table(
    "tokens",
    metadata,
    _uuid("id", primary_key=True),
    Column("username", Text, nullable=False, index=True),
    Column("token_hash", Text, nullable=False),
    Column("device_name", Text, nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

domains = Table(
    "domains",
    metadata,
    Column("name", Text, primary_key=True),
    Column("parent", Text, nullable=True),
    Column("description", Text, nullable=False),
    Column("display_name", Text, nullable=False, server_default=""),  # the registry's `name`
    Column("data", Text, nullable=False, server_default="{}"),  # JSON object: a registry client's data
)

api_keys = Table(
    "api_keys",
    metadata,
    _uuid("id", primary_key=True),
    Column("name", Text, nullable=False),
    Column("key_hash", Text, nullable=False, unique=True),  # SHA-256 hex of the key
    Column("published_key", Text, nullable=True),  # the key itself, only for the one the manifest hands out
    Column("created", UTCDateTime, nullable=False),
)

registry_tokens = Table(
    "registry_tokens",
    metadata,
    _uuid("id", primary_key=True),
    Column("username", Text, nullable=False, index=True),
    Column("access_hash", Text, nullable=False),  # SHA-256 hex of the access token
    Column("access_expires", UTCDateTime, nullable=False),
    Column("refresh_hash", Text, nullable=False),  # SHA-256 hex of the refresh token
    Column("refresh_expires", UTCDateTime, nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

thing_types = Table(
    "thing_types",
    metadata,
    Column("id", Text, primary_key=True),  # the client's id, ^[a-z0-9-_]+$
    Column("domain", Text, nullable=False, index=True),
    Column("label", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("data", Text, nullable=False),  # JSON, as the client gave it
    Column("resources", Text, nullable=False),  # JSON array of resource objects
    Column("virtual_resources", Text, nullable=False),  # JSON array of resource objects
    Column("lock_mappings", Boolean, nullable=False),
    Column("created", UTCDateTime, nullable=False),
)

oauth_clients = Table(
    "oauth_clients",
    metadata,
    Column("client_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("username", Text, nullable=False, index=True),
    Column("secret_hash", Text, nullable=False),  # SHA-256 hex of the client secret
    Column("scopes", Text, nullable=False),  # JSON array of scope names
    Column("created", UTCDateTime, nullable=False),
)

# The dashboard's sessions, kept across restarts (migration 0009): only the SHA-256 of the cookie,
# never the cookie; the principal is made again from the user's record when they are loaded.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("key_hash", String(64), primary_key=True),  # SHA-256 hex of the cookie's value
    Column("username", Text, nullable=False, index=True),
    Column("started", UTCDateTime, nullable=False),
    Column("last_used", UTCDateTime, nullable=False),
)

# The lifecycle events' outbox, kept as the event store `/events` reads (published rows stay
# until the retention prunes them). `sequence` is the publishing order.
outbox = Table(
    "outbox",
    metadata,
    Column("sequence", _HISTORY_ID, primary_key=True, autoincrement=True),
    _uuid("id", nullable=False, unique=True),
    Column("timestamp", BigInteger, nullable=False, index=True),  # epoch ms, as MIC's events carry it
    Column("type", Text, nullable=False),  # e.g. "THING_TYPE.CREATE"
    Column("domain", Text, nullable=False, index=True),
    Column("domain_path", Text, nullable=False),  # "/a/b/" when the event was made: its topic
    Column("source", Text, nullable=False),  # JSON object
    Column("message", Text, nullable=False),
    Column("classification", Text, nullable=False),
    Column("acknowledgement_required", Boolean, nullable=False),
    Column("acknowledged_at", BigInteger, nullable=True),  # epoch ms
    Column("acknowledged_by", Text, nullable=True),
    Column("published", Boolean, nullable=False),
    # The publisher reads the unpublished rows in order.
    Index("ix_outbox_pending", "published", "sequence"),
)
