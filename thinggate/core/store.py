"""What the core needs from storage: a small protocol, implemented in `thinggate.storage`.

Every configuration write is durable when its coroutine returns (the hub awaits it before
answering the caller). State values and history are written behind, in batches.
Values are JSON-compatible Python values; ids are `uuid.UUID`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(slots=True)
class ThingRecord:
    """A thing's configuration as stored."""

    id: uuid.UUID
    thing_class_id: uuid.UUID
    plugin_id: uuid.UUID
    name: str
    params: dict[uuid.UUID, Any]
    settings: dict[uuid.UUID, Any]
    parent_id: uuid.UUID | None = None
    auto_created: bool = False
    domain: str = "root"
    room: str = ""
    logged_state_type_ids: list[uuid.UUID] = field(default_factory=list)
    logged_event_type_ids: list[uuid.UUID] = field(default_factory=list)
    logged_action_type_ids: list[uuid.UUID] = field(default_factory=list)
    state_filters: dict[uuid.UUID, str] = field(default_factory=dict)


@dataclass(slots=True)
class IOConnectionRecord:
    """An IO connection as stored."""

    id: uuid.UUID
    input_thing_id: uuid.UUID
    input_state_type_id: uuid.UUID
    output_thing_id: uuid.UUID
    output_state_type_id: uuid.UUID
    inverted: bool


@dataclass(slots=True)
class UserRecord:
    """A user as stored (password as an argon2 hash)."""

    username: str
    password_hash: str
    email: str = ""
    display_name: str = ""
    home_domain: str = "root"
    roles: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    allowed_thing_ids: list[uuid.UUID] = field(default_factory=list)
    privileges: list[dict[str, Any]] = field(default_factory=list)
    digest_ha1: dict[str, str] = field(default_factory=dict)  # HTTP digest secrets by algorithm, if opted in


@dataclass(slots=True)
class TokenRecord:
    """A login token as stored: only its hash, never the token itself."""

    id: uuid.UUID
    username: str
    token_hash: str
    device_name: str
    created: datetime


@dataclass(slots=True)
class DomainRecord:
    """A node of the domain tree."""

    name: str
    parent: str | None
    description: str = ""
    display_name: str = ""  # the registry's `name` of a domain (its id is `name` here)
    data: dict[str, Any] = field(default_factory=dict)  # custom data a registry client keeps on it


@dataclass(slots=True)
class HistoryEntry:
    """One logged state change, event or action."""

    timestamp: datetime
    thing_id: uuid.UUID
    kind: str  # "state", "event" or "action"
    type_id: uuid.UUID
    value: Any


@dataclass(slots=True)
class ApiKeyRecord:
    """A registry API key (`x-api-key`) as stored: its SHA-256, never the key, unless published.

    The published key is the one `GET /<stack>/metadata/manifest` hands to anyone who asks (MIC's
    SDKs discover it there), so it is public by design and kept in clear; every other key is
    shown once, when it is made.
    """

    id: uuid.UUID
    name: str
    key_hash: str
    created: datetime
    published_key: str | None = None


@dataclass(slots=True)
class RegistryTokenRecord:
    """One registry login: an access token and its refresh token, both stored as SHA-256 only."""

    id: uuid.UUID
    username: str
    access_hash: str
    access_expires: datetime
    refresh_hash: str
    refresh_expires: datetime
    created: datetime


@dataclass(slots=True)
class OAuthClientRecord:
    """An OAuth client of the sensor-data door (client credentials): its secret as SHA-256 only, never in clear."""

    client_id: str
    name: str
    username: str  # the user the client acts as (its domains and rights)
    secret_hash: str
    scopes: list[str]
    created: datetime


@dataclass(slots=True)
class ThingTypeRecord:
    """A thing type made through the registry API (a class of the generic integration), as stored."""

    id: str
    domain: str
    label: str
    description: str = ""
    data: Any = None  # the client's custom data, kept as given (any JSON value)
    resources: list[dict[str, Any]] = field(default_factory=list)
    virtual_resources: list[dict[str, Any]] = field(default_factory=list)
    lock_mappings: bool = False
    created: datetime | None = None


@dataclass(slots=True)
class EventRecord:
    """A lifecycle event as the outbox keeps it: MIC's Event fields, its topic's domain path, and whether it went out.

    Made by the core in the same transaction as the change it reports (the store writes both or
    neither); `sequence` is the outbox's order, given by the store when it writes the event.
    """

    id: uuid.UUID  # stable: a receiver drops repeats by it
    timestamp: int  # epoch milliseconds
    type: str  # "<OBJECT>.<ACTION>", e.g. "THING_TYPE.CREATE"
    domain: str  # the domain of the event's source: who may see the event, and where it is published
    domain_path: str  # that domain's path when the event was made: "/" for root, "/a/b/" below
    source: dict[str, Any] = field(default_factory=dict)  # e.g. {"thingType": "lamp", "domain": "site"}
    message: str = ""
    classification: str = "INTERNAL"
    acknowledgement_required: bool = False
    acknowledged_at: int | None = None  # epoch milliseconds
    acknowledged_by: str | None = None
    published: bool = False  # acknowledged by the broker (PUBACK)
    sequence: int | None = None


@dataclass(slots=True)
class WebSessionRecord:
    """A dashboard login as kept across restarts: the SHA-256 of its cookie (never the cookie), whose, and its times."""

    key_hash: str  # SHA-256 hex of the cookie's value
    username: str  # the user's stored, lower-case name
    started: datetime
    last_used: datetime  # written coarsely: it may lag the last request by a minute


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which stored events to find; every filter given must hold."""

    domains: frozenset[str] | None = None  # only events of these domains (None: any domain)
    types: frozenset[str] = frozenset()  # only these types (empty: any type)
    since: int | None = None  # timestamp >= since (epoch ms)
    until: int | None = None  # timestamp < until (epoch ms)
    acknowledged: bool | None = None  # only (un)acknowledged ones (None: both)
    offset: int = 0
    limit: int = 100
    newest_first: bool = True


class EventStore(Protocol):
    """The lifecycle events' outbox, which is also the event store `/events` reads.

    Events are written by the other stores' writes (their `event` argument), in the same
    transaction as the change they report.
    """

    async def pending_events(self, limit: int) -> list[EventRecord]:
        """The oldest events not yet published, in outbox order."""

    async def count_pending_events(self) -> int:
        """How many events are not yet published (the outbox's depth)."""

    async def mark_events_published(self, sequences: Sequence[int]) -> None:
        """Mark events published (the broker acknowledged them), durably."""

    async def wait_for_events(self) -> None:
        """Return when an event was written since the last call (callers bound the wait with a timeout)."""

    async def find_events(self, query: EventQuery) -> tuple[list[EventRecord], int]:
        """The events a query finds (one page, in time order) and how many it finds in all."""

    async def load_event(self, event_id: uuid.UUID) -> EventRecord | None:
        """One event by id (None when there is none)."""

    async def acknowledge_event(self, event_id: uuid.UUID, at: int, by: str) -> EventRecord | None:
        """Set when and by whom an event was acknowledged, durably (None when there is no such event)."""

    async def prune_events(self, older_than: int) -> int:
        """Delete events made before `older_than` (epoch ms), durably; how many went."""


class SecurityStore(Protocol):
    """The persistence the security layer needs: users, tokens and domains."""

    async def load_users(self) -> list[UserRecord]:
        """Every user."""

    async def save_user(self, record: UserRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a user, durably (with the event reporting it, in the same transaction)."""

    async def delete_user(self, username: str, event: EventRecord | None = None) -> None:
        """Delete a user, its tokens and its dashboard sessions, durably (with the event reporting it, together)."""

    async def load_tokens(self) -> list[TokenRecord]:
        """Every token."""

    async def save_token(self, record: TokenRecord) -> None:
        """Insert a token, durably."""

    async def delete_token(self, token_id: uuid.UUID) -> None:
        """Delete a token, durably."""

    async def load_domains(self) -> list[DomainRecord]:
        """Every domain."""

    async def save_domain(self, record: DomainRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a domain, durably (with the event reporting it, in the same transaction)."""

    async def delete_domain(self, name: str, event: EventRecord | None = None) -> None:
        """Delete a domain, durably (with the event reporting it, in the same transaction)."""

    async def load_hub_settings(self) -> dict[str, Any]:
        """Hub-wide settings (house mode, the digest realm, ...) by key."""

    async def save_hub_setting(self, key: str, value: Any) -> None:
        """Store one hub-wide setting (a JSON value), durably."""


class RegistryStore(Protocol):
    """The persistence of the registry: API keys, registry logins and thing types.

    Each write is one durable transaction; a lifecycle event given to a thing-type write goes into
    the outbox in that same transaction, so a change and its event commit together.
    """

    async def load_api_keys(self) -> list[ApiKeyRecord]:
        """Every API key, oldest first."""

    async def save_api_key(self, record: ApiKeyRecord) -> None:
        """Insert or replace an API key, durably."""

    async def delete_api_key(self, key_id: uuid.UUID) -> None:
        """Delete an API key, durably."""

    async def load_registry_tokens(self) -> list[RegistryTokenRecord]:
        """Every registry login, oldest first."""

    async def save_registry_token(self, record: RegistryTokenRecord) -> None:
        """Insert or replace a registry login, durably."""

    async def delete_registry_tokens(self, token_ids: Sequence[uuid.UUID]) -> None:
        """Delete registry logins (logout, expiry), durably."""

    async def load_thing_types(self) -> list[ThingTypeRecord]:
        """Every thing type, oldest first."""

    async def save_thing_type(self, record: ThingTypeRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a thing type, durably (with the event reporting it, in the same transaction)."""

    async def delete_thing_type(self, thing_type_id: str, event: EventRecord | None = None) -> None:
        """Delete a thing type, durably (with the event reporting it, in the same transaction)."""


class OAuthStore(Protocol):
    """The persistence of the sensor-data door's OAuth clients; each write one durable transaction."""

    async def load_oauth_clients(self) -> list[OAuthClientRecord]:
        """Every OAuth client, oldest first."""

    async def save_oauth_client(self, record: OAuthClientRecord) -> None:
        """Insert or replace an OAuth client, durably."""

    async def delete_oauth_client(self, client_id: str) -> None:
        """Delete an OAuth client, durably (its tokens stop working at the next request)."""


class WebSessionStore(Protocol):
    """The dashboard's sessions, kept so that a logged-in browser stays logged in when the hub restarts.

    The principal is not kept: the dashboard makes it again from the user's record when it loads them.
    """

    async def load_web_sessions(self) -> list[WebSessionRecord]:
        """Every kept session, least recently used first."""

    async def save_web_session(self, record: WebSessionRecord) -> None:
        """Insert or replace a session, durably."""

    async def touch_web_sessions(self, last_used: Sequence[tuple[str, datetime]]) -> None:
        """Set when sessions (by key hash) were last used, durably; a session no longer kept is not made again."""

    async def delete_web_sessions(self, key_hashes: Sequence[str]) -> None:
        """Forget sessions by key hash, durably."""

    async def delete_user_web_sessions(self, username: str) -> None:
        """Forget every session of a user (its stored, lower-case name), durably."""


class Store(SecurityStore, RegistryStore, OAuthStore, EventStore, WebSessionStore, Protocol):
    """Persistence the hub and the security layer are handed."""

    async def load_things(self) -> list[ThingRecord]:
        """Every stored thing."""

    async def save_thing(self, record: ThingRecord, event: EventRecord | None = None) -> None:
        """Insert or replace a thing, durably (with the event reporting it, in the same transaction)."""

    async def save_things(self, records: Sequence[ThingRecord]) -> None:
        """Insert or replace many things in one durable transaction (imports, benchmarks)."""

    async def delete_things(self, thing_ids: list[uuid.UUID], event: EventRecord | None = None) -> None:
        """Delete things, their cached states and their IO connections, durably (with an event, together)."""

    async def load_states(self) -> dict[uuid.UUID, dict[uuid.UUID, Any]]:
        """Cached state values by thing id and state type id."""

    async def save_states(self, values: list[tuple[uuid.UUID, uuid.UUID, Any]]) -> None:
        """Upsert a batch of (thing id, state type id, value) state cache entries."""

    async def load_plugin_configurations(self) -> dict[uuid.UUID, dict[uuid.UUID, Any]]:
        """Stored configuration of every integration that has one."""

    async def save_plugin_configuration(self, plugin_id: uuid.UUID, values: dict[uuid.UUID, Any]) -> None:
        """Store an integration's configuration, durably."""

    async def load_io_connections(self) -> list[IOConnectionRecord]:
        """Every stored IO connection."""

    async def save_io_connection(self, record: IOConnectionRecord) -> None:
        """Insert or replace an IO connection, durably."""

    async def delete_io_connection(self, io_connection_id: uuid.UUID) -> None:
        """Delete an IO connection, durably."""

    async def append_history(self, entries: list[HistoryEntry]) -> None:
        """Append a batch of history entries."""

    async def load_history(
        self, thing_id: uuid.UUID, type_id: uuid.UUID | None = None, limit: int = 1000
    ) -> list[HistoryEntry]:
        """The newest history entries of a thing (of one type if given), oldest first."""

    async def load_history_between(
        self,
        thing_id: uuid.UUID,
        start: datetime,
        end: datetime,
        *,
        type_ids: Sequence[uuid.UUID] | None = None,
        limit: int = 1000,
    ) -> list[HistoryEntry]:
        """A thing's entries from `start` (inclusive) to `end` (exclusive), by time then by arrival; at most `limit`."""

    async def latest_history_time(self, thing_id: uuid.UUID, type_id: uuid.UUID) -> datetime | None:
        """The time of a thing's newest entry of one type, or None."""

    async def latest_history_times(
        self, keys: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
        """The time of the newest entry of each (thing id, type id) that has one, in one query."""

    async def delete_history(
        self,
        thing_id: uuid.UUID,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        timestamps: Sequence[datetime] | None = None,
    ) -> int:
        """Delete a thing's entries in [start, end) (all without bounds), or only at `timestamps`; durably."""

    async def prune_history(self, older_than: datetime, *, limit: int | None = None) -> int:
        """Delete entries before `older_than` (only the `limit` oldest of them if given), durably; the count deleted."""

    async def close(self) -> None:
        """Flush what is pending and close."""
